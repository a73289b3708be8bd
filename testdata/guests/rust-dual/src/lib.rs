//! The dual test guest of `internal/restest` in Rust, on `wit-bindgen = "0.36"`: the world imports
//! and exports `pool`, and the guest's `conn` wraps the host's, as `testdata/guests/c-dual` does in C.

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml.
    path: "../../../internal/restest/dual/wit",
    world: "dual",
});

use std::cell::RefCell;

use exports::test::dual::pool as ex;
use test::dual::pool as host;

thread_local! {
    static GONE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

struct Conn {
    inner: Option<host::Conn>,
    name: String,
}

impl Drop for Conn {
    // The destructor: record the name, then drop the host conn.
    fn drop(&mut self) {
        GONE.with(|g| g.borrow_mut().push(self.name.clone()));
        drop(self.inner.take());
    }
}

impl ex::GuestConn for Conn {
    fn new(name: String) -> Self {
        Conn { inner: Some(host::Conn::new(&format!("{name}@host"))), name }
    }
    fn name(&self) -> String {
        format!("guest({})", self.inner.as_ref().unwrap().name())
    }
}

struct Component;

impl ex::Guest for Component {
    type Conn = Conn;

    fn echo(w: ex::Wrapped) -> ex::Wrapped {
        let name = w.c.get::<Conn>().name.clone();
        let back = host::echo(host::Wrapped { c: host::Conn::new(&format!("{name}~")), n: w.n + 1 });
        drop(back.c);
        ex::Wrapped { c: w.c, n: back.n + 1 }
    }
    fn gone() -> Vec<String> {
        GONE.with(|g| g.borrow().clone())
    }
}

export!(Component);
