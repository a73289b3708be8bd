//! An evolution test guest (issue 10): a Rust plugin for `plugin-world` of the breaking 0.2.0 test
//! contract `testdata/evolve/v0.2.0/plugin.wit` (http-post removed, `on-login` gains `at-millis`,
//! `now-millis` added), on `wit-bindgen = "0.36"`.
//!
//! - `on-post-creating`: `Some(input)` with slug `"rust-0.2.0"` (every other field unchanged).
//! - `on-login(user-id, at-millis)`: `log("info", "rust-0.2.0 login <user-id> at <at-millis> now
//!   <now-millis()>")`, so the module imports `now-millis`.
//! - every other hook: filters return `None`, actions do nothing.

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml.
    path: "../../evolve/v0.2.0/plugin.wit",
    world: "plugin-world",
});

use exports::raisfast::plugin_wit::plugin_hooks::*;
use raisfast::plugin_wit::host_api;

struct Plugin;

impl Guest for Plugin {
    fn on_post_creating(input: PostInput) -> Option<PostInput> {
        let mut post = input;
        post.slug = Some("rust-0.2.0".to_string());
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

    fn on_login(user_id: String, at_millis: u64) {
        host_api::log(
            "info",
            &format!("rust-0.2.0 login {user_id} at {at_millis} now {}", host_api::now_millis()),
        );
    }

    fn on_cron_tick(_payload: Option<String>) {}
}

export!(Plugin);
