//! An evolution test guest (issue 10): a Rust plugin for `plugin-world` of the compatible 0.1.1
//! test contract `testdata/evolve/v0.1.1/plugin.wit` (`wit/plugin.wit` 0.1.0 plus host function
//! `now-millis` and hook `on-post-archived`), on `wit-bindgen = "0.36"`.
//!
//! - `on-post-creating`: `Some(input)` with slug `"rust-0.1.1"` (every other field unchanged).
//! - `on-post-archived(id)`: `log("info", "rust-0.1.1 archived <id> at <now-millis()>")`, so the
//!   module imports `now-millis` (and a 0.1.0 host, which lacks it, refuses the module).
//! - every other hook: filters return `None`, actions do nothing.

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml.
    path: "../../evolve/v0.1.1/plugin.wit",
    world: "plugin-world",
});

use exports::raisfast::plugin_wit::plugin_hooks::*;
use raisfast::plugin_wit::host_api;

struct Plugin;

impl Guest for Plugin {
    fn on_post_creating(input: PostInput) -> Option<PostInput> {
        let mut post = input;
        post.slug = Some("rust-0.1.1".to_string());
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

    fn on_post_created(_output: PostOutput) {}

    fn on_post_updated(_output: PostOutput) {}

    fn on_post_deleted(_id: String) {}

    fn on_comment_created(_input: CommentInput) {}

    fn on_content_created(_input: ContentEvent) {}

    fn on_content_updated(_input: ContentEvent) {}

    fn on_content_deleted(_content_type: String, _id: String) {}

    fn on_login(_user_id: String) {}

    fn on_cron_tick(_payload: Option<String>) {}

    fn on_post_archived(id: String) {
        host_api::log(
            "info",
            &format!("rust-0.1.1 archived {id} at {}", host_api::now_millis()),
        );
    }
}

export!(Plugin);
