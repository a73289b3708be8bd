//! The product page's Rust quick start for a RaisFast WASM plugin, completed so that it compiles
//! with `wit-bindgen = "0.36"` against the repository's `wit/plugin.wit`.
//!
//! The three hooks of the quick start keep its behaviour exactly; every other function of
//! `plugin-hooks` must exist too (wit-bindgen's `Guest` trait has no default methods): filters
//! return `None` (leave the value unchanged) and actions do nothing.

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml: the repository's contract.
    path: "../../../wit/plugin.wit",
    world: "plugin-world",
});

use exports::raisfast::plugin_wit::plugin_hooks::*;
// The quick start calls `host_api::log` without importing the module.
use raisfast::plugin_wit::host_api;

struct Plugin;

impl Guest for Plugin {
    fn on_post_creating(input: PostInput) -> Option<PostInput> {
        let mut post = input;
        if post.slug.is_none() {
            post.slug = Some(post.title.to_lowercase().replace(' ', "-"));
        }
        Some(post)
    }

    fn on_post_updating(_input: PostInput) -> Option<PostInput> {
        None
    }

    fn on_comment_creating(_input: CommentInput) -> Option<CommentInput> {
        None
    }

    fn on_content_creating(_input: ContentEvent) -> Option<ContentEvent> {
        None
    }

    fn on_content_updating(_input: ContentEvent) -> Option<ContentEvent> {
        None
    }

    fn render_markdown(_input: String) -> Option<String> {
        None
    }

    fn filter_html(_input: String) -> Option<String> {
        None
    }

    fn on_post_created(output: PostOutput) {
        host_api::log("info", &format!("published: {}", output.slug));
        let key = format!("cache/posts/{}.json", output.slug);
        host_api::vfs_write(&key, "{}");
    }

    fn on_post_updated(_output: PostOutput) {}

    fn on_post_deleted(_id: String) {}

    fn on_comment_created(_input: CommentInput) {}

    fn on_content_created(_input: ContentEvent) {}

    fn on_content_updated(_input: ContentEvent) {}

    fn on_content_deleted(_content_type: String, _id: String) {}

    fn on_login(_user_id: String) {}

    fn on_cron_tick(payload: Option<String>) {
        if let Some(p) = payload {
            host_api::log("info", &format!("cron fired: {p}"));
        }
    }
}

// The quick start writes `export_plugin_hooks!(Plugin);`: wit-bindgen 0.36 names the macro
// `export!` unless `generate!` sets `export_macro_name: "export_plugin_hooks"`.
export!(Plugin);
