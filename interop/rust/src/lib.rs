//! The conformance plugin of `interop/SPEC.md` on wit-bindgen 0.36's Rust bindings: every hook of
//! `plugin-world`, every host-api and data function, deterministic transformations.
//!
//! Built by `.ci/build-guests.sh conformance-rust` (Debian rustc-web, `-Zbuild-std`,
//! `wasm32-unknown-unknown`).

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml: the repository's contract.
    path: "../../wit/plugin.wit",
    world: "plugin-world",
});

use exports::raisfast::plugin_wit::plugin_hooks::*;
use raisfast::plugin_wit::data::{self as db, Aggregate, Comparison, Condition, DbError, Field, Group, Order, Query, Value};
use raisfast::plugin_wit::host_api as host;

// The SPEC's primitives.

fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn slugify(s: &str) -> String {
    lower(s).replace(' ', "-")
}

fn rev(s: &str) -> String {
    s.chars().rev().collect()
}

fn bytes(s: &str) -> String {
    s.len().to_string()
}

fn chars(s: &str) -> String {
    s.chars().count().to_string()
}

fn opt(o: &Option<String>) -> String {
    match o {
        None => "~".to_string(),
        Some(s) => format!("+{s}"),
    }
}

fn boolean(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn lines(parts: &[String]) -> String {
    parts.join("\n")
}

fn post(o: &PostOutput, n: i64) -> Vec<String> {
    vec![
        format!("id={}", o.id),
        format!("title={}", o.title),
        format!("slug={}", o.slug),
        format!("content={}", o.content),
        format!("excerpt={}", opt(&o.excerpt)),
        format!("status={}", o.status),
        format!("created-by={}", o.created_by),
        format!("updated-by={}", opt(&o.updated_by)),
        format!("category-id={}", opt(&o.category_id)),
        format!("view-count={n}"),
        format!("created-at={}", o.created_at),
        format!("updated-at={}", o.updated_at),
        format!("published-at={}", opt(&o.published_at)),
    ]
}

// The data path of on-content-creating (SPEC.md, "The data calls").

fn field(column: &str, value: Value) -> Field {
    Field { column: column.to_string(), value }
}

fn cond(column: &str, op: Comparison, value: Value) -> Condition {
    Condition { column: column.to_string(), op, value }
}

fn data_row() -> Vec<Field> {
    vec![
        field("n", Value::Null),
        field("i", Value::Integer(-1)),
        field("r", Value::Real(-1.5)),
        field("t", Value::Text("Zo\u{eb} \u{20ac} \u{1F600}".to_string())),
        field("e", Value::Text(String::new())),
        field("b", Value::Blob(Vec::new())),
        field("c", Value::Blob(vec![0x00, 0xff, 0x80, 0x7f])),
    ]
}

fn data_filter() -> Vec<Condition> {
    vec![
        cond("a", Comparison::Eq, Value::Integer(i64::MIN)),
        cond("b", Comparison::Ne, Value::Text("\u{fc}\u{1F600}".to_string())),
        cond("c", Comparison::Lt, Value::Real(-0.0)),
        cond("d", Comparison::Le, Value::Real(f64::NAN)),
        cond("e", Comparison::Gt, Value::Integer(i64::MAX)),
        cond("f", Comparison::Ge, Value::Real(f64::from_bits(1))),
        cond("g", Comparison::Like, Value::Text("%a_b%".to_string())),
        cond("h", Comparison::IsNull, Value::Null),
        cond("i", Comparison::IsNotNull, Value::Blob(vec![0x01, 0x02, 0x03])),
    ]
}

fn val(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Integer(n) => format!("i:{n}"),
        Value::Real(x) if x.is_nan() => "r:nan".to_string(),
        Value::Real(x) => format!("r:{:016x}", x.to_bits()),
        Value::Text(s) => format!("t:{s}"),
        Value::Blob(b) => {
            let mut s = "b:".to_string();
            for c in b {
                s.push_str(&format!("{c:02x}"));
            }
            s
        }
    }
}

fn row(r: &[Field]) -> String {
    let parts: Vec<String> = r.iter().map(|f| format!("{}={}", f.column, val(&f.value))).collect();
    format!("{{{}}}", parts.join(","))
}

fn db_err(e: &DbError) -> String {
    let (name, s) = match e {
        DbError::PermissionDenied(s) => ("permission-denied", s),
        DbError::NoSuchTable(s) => ("no-such-table", s),
        DbError::NoSuchColumn(s) => ("no-such-column", s),
        DbError::TypeMismatch(s) => ("type-mismatch", s),
        DbError::Constraint(s) => ("constraint", s),
        DbError::Timeout => return "timeout".to_string(),
        DbError::TooLarge(s) => ("too-large", s),
        DbError::Invalid(s) => ("invalid", s),
        DbError::Unavailable(s) => ("unavailable", s),
        DbError::Backend(s) => ("backend", s),
    };
    format!("{name}({s})")
}

fn res<T>(r: Result<T, DbError>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => format!("ok:{}", ok(v)),
        Err(e) => format!("err:{}", db_err(&e)),
    }
}

fn on_content_data(e: &ContentEvent) -> ContentEvent {
    let t = e.data.as_str();
    let id = host::new_id();
    let mut out = vec![
        format!("new-id={id}"),
        format!("db-ph={} {}", host::db_ph(1), host::db_ph(u32::MAX)),
    ];
    let f = data_filter();
    let full = Query {
        columns: vec!["id".to_string(), "t\u{ed}tle".to_string(), String::new()],
        filter: data_filter(),
        order_by: vec![
            Order { column: "id".to_string(), descending: false },
            Order { column: "t\u{ed}tle".to_string(), descending: true },
        ],
        limit: Some(u32::MAX),
        offset: Some(0),
    };
    let none = Query { columns: Vec::new(), filter: Vec::new(), order_by: Vec::new(), limit: None, offset: None };
    let u64s = |n: u64| n.to_string();
    out.push(format!("insert={}", res(db::insert(t, &data_row()), u64s)));
    for q in [&full, &none] {
        out.push(format!(
            "fetch-one={}",
            res(db::fetch_one(t, q), |r| match r {
                None => "~".to_string(),
                Some(r) => format!("+{}", row(&r)),
            })
        ));
    }
    for q in [&full, &none] {
        out.push(format!(
            "fetch-all={}",
            res(db::fetch_all(t, q), |rs| {
                let parts: Vec<String> = rs.iter().map(|r| row(r)).collect();
                format!("[{}]", parts.join(","))
            })
        ));
    }
    let set = vec![field("s", Value::Text("ok \u{2713}".to_string())), field("n", Value::Null)];
    out.push(format!("update={}", res(db::update(t, &set, &f), u64s)));
    out.push(format!("delete={}", res(db::delete(t, &f), u64s)));
    let empty: Vec<Condition> = Vec::new();
    out.push(format!("count={}", res(db::count(t, &empty), u64s)));
    out.push(format!("increment={}", res(db::increment(t, "views", i64::MIN, &f), u64s)));
    for filter in [&f, &empty] {
        out.push(format!("sum={}", res(db::sum(t, "total", filter), |v| val(&v))));
    }
    let by: Vec<String> = (1..=9).map(|k| format!("k{k}")).collect();
    for (i, agg) in [Aggregate::Count, Aggregate::Sum, Aggregate::Min, Aggregate::Max, Aggregate::Avg]
        .into_iter()
        .enumerate()
    {
        out.push(format!(
            "group-by={}",
            res(db::group_by(t, &by[..2 * i], agg, "v", &f), |gs: Vec<Group>| {
                let parts: Vec<String> = gs.iter().map(|g| format!("{}->{}", row(&g.key), val(&g.value))).collect();
                format!("[{}]", parts.join(","))
            })
        ));
    }
    ContentEvent { content_type: "DATA".to_string(), data: lines(&out), id: Some(id) }
}

struct Conformance;

impl Guest for Conformance {
    fn on_post_creating(p: PostInput) -> Option<PostInput> {
        if p.title == "pass" {
            return None;
        }
        host::log("debug", &format!("creating {}", p.title));
        let tag_ids = match p.tag_ids {
            None => Vec::new(),
            Some(mut ts) => {
                ts.reverse();
                ts.push("conf".to_string());
                ts
            }
        };
        Some(PostInput {
            title: format!("{} \u{2713}", upper(&p.title)),
            content: format!("{} [{}/{}]", p.content, bytes(&p.content), chars(&p.content)),
            slug: Some(match p.slug {
                None => slugify(&p.title),
                Some(s) => format!("{s}-x"),
            }),
            excerpt: p.excerpt.map(|e| rev(&e)),
            category_id: match p.category_id {
                None => Some("uncategorized".to_string()),
                Some(_) => None,
            },
            tag_ids: Some(tag_ids),
            status: Some(match p.status {
                None => "draft".to_string(),
                Some(s) => upper(&s),
            }),
            cover_image: p.cover_image.map(|u| format!("{u}?w=640")),
        })
    }

    fn on_post_updating(p: PostInput) -> Option<PostInput> {
        if p.title == "pass" {
            return None;
        }
        let key = p.slug.clone().unwrap_or_else(|| p.title.clone());
        let g = host::get_post(&key);
        Some(PostInput {
            title: rev(&p.title),
            content: format!("{}\n{}", lower(&p.content), opt(&g)),
            slug: p.slug.map(|s| upper(&s)),
            excerpt: Some(match p.excerpt {
                None => String::new(),
                Some(e) => format!("{e}{e}"),
            }),
            category_id: p.category_id.map(|c| format!("cat:{c}")),
            tag_ids: p.tag_ids.map(|ts| ts.iter().map(|t| upper(t)).collect()),
            status: match p.status {
                Some(_) => None,
                None => Some("published".to_string()),
            },
            cover_image: Some(match p.cover_image {
                None => "default.png".to_string(),
                Some(u) => rev(&u),
            }),
        })
    }

    fn on_comment_creating(c: CommentInput) -> Option<CommentInput> {
        if c.content == "pass" {
            return None;
        }
        let a = host::get_config(&format!("nickname:{}", opt(&c.email)));
        Some(CommentInput {
            content: format!("\u{1F4AC} {}", c.content),
            nickname: match c.nickname {
                Some(n) => Some(upper(&n)),
                None => a,
            },
            email: c.email.map(|e| lower(&e)),
            parent_id: match c.parent_id {
                Some(_) => None,
                None => Some("root".to_string()),
            },
        })
    }

    fn on_content_creating(e: ContentEvent) -> Option<ContentEvent> {
        if e.content_type == "pass" {
            return None;
        }
        if e.content_type == "data" {
            return Some(on_content_data(&e));
        }
        let s = host::http_get(&format!("https://schema.example/{}", e.content_type));
        Some(ContentEvent {
            content_type: upper(&e.content_type),
            data: format!("{}\n{}", e.data, opt(&s)),
            id: Some(match e.id {
                None => format!("new-{}", bytes(&e.data)),
                Some(i) => format!("{i}+1"),
            }),
        })
    }

    fn on_content_updating(e: ContentEvent) -> Option<ContentEvent> {
        if e.content_type == "pass" {
            return None;
        }
        let q = host::db_query("SELECT data FROM content WHERE id = ?", e.id.as_deref());
        Some(ContentEvent {
            content_type: lower(&e.content_type),
            data: rev(&e.data),
            id: match e.id {
                Some(_) => None,
                None => Some(q),
            },
        })
    }

    fn render_markdown(s: String) -> Option<String> {
        if s == "pass" {
            return None;
        }
        Some(format!("<p>{s}</p>"))
    }

    fn filter_html(s: String) -> Option<String> {
        if s == "pass" {
            return None;
        }
        Some(format!("{}<!--{}-->", upper(&s), bytes(&s)))
    }

    fn on_post_created(o: PostOutput) {
        let f = format!("posts/{}.md", o.slug);
        host::log("info", &format!("created {}", o.id));
        let a1 = host::get_config(&format!("views:{}", o.slug));
        let a2 = host::get_data(&format!("post:{}", o.id));
        let a3 = host::set_data(&format!("post:{}", o.id), &o.title);
        let a4 = host::get_post(&o.slug);
        let a5 = host::http_get(&format!("https://hooks.example/{}", o.slug));
        let a6 = host::http_post(&format!("https://hooks.example/{}", o.slug), &o.title);
        let a7 = host::db_begin();
        let a8 = host::db_query(
            "SELECT views FROM posts WHERE id = ?",
            Some(&format!("[\"{}\"]", o.id)),
        );
        let a9 = host::db_execute(
            "UPDATE posts SET views = ? WHERE id = ?",
            Some(&format!("[{},\"{}\"]", o.view_count.wrapping_add(1), o.id)),
        );
        let a10 = host::db_commit();
        let a11 = host::vfs_write(&f, &o.content);
        let a12 = host::vfs_exists(&f);
        let a13 = host::vfs_read(&f);
        let a14 = host::vfs_stat(&f);
        let a15 = host::vfs_list(&format!("posts/{}", o.slug));
        let a16 = host::vfs_delete(&f);
        let a17 = host::db_rollback();
        let mut data = post(&o, o.view_count.wrapping_add(1));
        data.extend([
            format!("get-config={}", opt(&a1)),
            format!("get-data={}", opt(&a2)),
            format!("set-data={}", boolean(a3)),
            format!("get-post={}", opt(&a4)),
            format!("http-get={}", opt(&a5)),
            format!("http-post={}", opt(&a6)),
            format!("db-begin={a7}"),
            format!("db-query={a8}"),
            format!("db-execute={a9}"),
            format!("db-commit={a10}"),
            format!("vfs-write={}", boolean(a11)),
            format!("vfs-exists={}", boolean(a12)),
            format!("vfs-read={}", opt(&a13)),
            format!("vfs-stat={}", opt(&a14)),
            format!("vfs-list={}", opt(&a15)),
            format!("vfs-delete={}", boolean(a16)),
            format!("db-rollback={a17}"),
        ]);
        let ev = host::emit_event("post.created", &lines(&data));
        host::log("debug", &format!("emitted {ev}"));
    }

    fn on_post_updated(o: PostOutput) {
        let ev = host::emit_event("post.updated", &lines(&post(&o, o.view_count.wrapping_sub(1))));
        host::log("info", &format!("updated {} {} {}", o.id, opt(&o.updated_by), ev));
    }

    fn on_post_deleted(id: String) {
        let r = host::db_execute(&format!("DELETE FROM posts WHERE id = '{id}'"), None);
        let d = host::vfs_delete(&format!("posts/{id}.md"));
        host::log("info", &format!("deleted {id} {r} {}", boolean(d)));
    }

    fn on_comment_created(c: CommentInput) {
        let ev = host::emit_event(
            "comment.created",
            &lines(&[
                format!("content={}", c.content),
                format!("nickname={}", opt(&c.nickname)),
                format!("email={}", opt(&c.email)),
                format!("parent-id={}", opt(&c.parent_id)),
            ]),
        );
        host::log("info", &format!("comment {ev}"));
    }

    fn on_content_created(e: ContentEvent) {
        let a = host::http_post(&format!("https://index.example/{}", e.content_type), &e.data);
        host::emit_event(
            "content.created",
            &lines(&[
                format!("content-type={}", e.content_type),
                format!("data={}", e.data),
                format!("id={}", opt(&e.id)),
                format!("indexed={}", opt(&a)),
            ]),
        );
    }

    fn on_content_updated(e: ContentEvent) {
        let w = host::vfs_write(
            &format!("content/{}/{}.json", e.content_type, opt(&e.id)),
            &e.data,
        );
        host::emit_event(
            "content.updated",
            &lines(&[
                format!("content-type={}", e.content_type),
                format!("data={}", e.data),
                format!("id={}", opt(&e.id)),
                format!("written={}", boolean(w)),
            ]),
        );
    }

    fn on_content_deleted(content_type: String, id: String) {
        let d = host::vfs_delete(&format!("content/{content_type}/{id}.json"));
        let r = host::db_execute(
            "DELETE FROM content WHERE type = ? AND id = ?",
            Some(&format!("[\"{content_type}\",\"{id}\"]")),
        );
        host::log(
            "info",
            &format!("deleted {content_type}/{id} {} {r}", boolean(d)),
        );
    }

    fn on_login(user_id: String) {
        let prev = opt(&host::get_data(&format!("login:{user_id}")));
        let ok = host::set_data(&format!("login:{user_id}"), &prev);
        host::log("info", &format!("login {user_id} {prev} {}", boolean(ok)));
    }

    fn on_cron_tick(payload: Option<String>) {
        match payload {
            None => host::log("debug", "tick"),
            Some(p) => {
                let l = host::vfs_list(&format!("cron/{p}"));
                let g = host::http_get(&format!("https://cron.example/{p}"));
                host::log("info", &format!("tick {p} {} {}", opt(&l), opt(&g)));
            }
        }
    }
}

export!(Conformance);
