//! The resource test guest of `internal/restest` in Rust, on `wit-bindgen = "0.36"`: it implements
//! the exported `counter` resource and uses the host's `blob` resource, as `testdata/guests/c-res`
//! does in C and `internal/restest/guestimpl` in Go. The host side checks handles, ownership moves,
//! drop order and the traps of the canonical ABI.

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml.
    path: "../../../internal/restest/wit",
    world: "res",
});

use std::cell::{Cell, RefCell};

use exports::test::res::counters::{
    Blob, Counter, CounterBorrow, Guest, GuestCounter, NamedCounter, Tagged,
};
use test::res::store;

thread_local! {
    static DROPPED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static KEPT: RefCell<Vec<Blob>> = const { RefCell::new(Vec::new()) };
    static STASHED: Cell<u32> = const { Cell::new(0) };
}

struct MyCounter {
    name: String,
    value: Cell<i64>,
}

fn counter(name: String, value: i64) -> Counter {
    Counter::new(MyCounter { name, value: Cell::new(value) })
}

impl Drop for MyCounter {
    // The destructor: the host dropped the last handle.
    fn drop(&mut self) {
        DROPPED.with(|d| d.borrow_mut().push(self.name.clone()));
    }
}

impl GuestCounter for MyCounter {
    fn new(name: String, start: i64) -> Self {
        MyCounter { name, value: Cell::new(start) }
    }
    fn add(&self, n: i64) -> i64 {
        self.value.set(self.value.get() + n);
        self.value.get()
    }
    fn get(&self) -> i64 {
        self.value.get()
    }
    fn name(&self) -> String {
        self.name.clone()
    }
    fn merge(a: Counter, b: Counter) -> Counter {
        let (ra, rb) = (a.get::<MyCounter>(), b.get::<MyCounter>());
        let m = counter(format!("{}+{}", ra.name, rb.name), ra.value.get() + rb.value.get());
        drop(a);
        drop(b);
        m
    }
}

struct Component;

impl Guest for Component {
    type Counter = MyCounter;

    fn make_counters(n: u32) -> Vec<Counter> {
        (0..n).map(|i| counter(format!("c{i}"), i as i64)).collect()
    }
    fn sum_all(cs: Vec<CounterBorrow<'_>>) -> i64 {
        cs.iter().map(|c| c.get::<MyCounter>().value.get()).sum()
    }
    fn total(cs: Vec<Counter>) -> i64 {
        let mut sum = 0;
        for c in cs {
            sum += c.get::<MyCounter>().value.get();
            drop(c); // in list order
        }
        sum
    }
    fn label(n: NamedCounter) -> NamedCounter {
        NamedCounter { label: format!("{}!", n.label), c: n.c }
    }
    fn maybe(c: Option<Counter>) -> Result<Counter, String> {
        c.ok_or_else(|| "none".to_string())
    }
    fn dropped() -> Vec<String> {
        DROPPED.with(|d| d.borrow().clone())
    }
    fn blob_size(b: &Blob) -> u32 {
        b.size() // the borrow goes back to the host
    }
    fn keep_blob(b: Blob) {
        KEPT.with(|k| k.borrow_mut().push(b));
    }
    fn forget_blobs() -> u32 {
        let kept = KEPT.with(|k| std::mem::take(&mut *k.borrow_mut()));
        let n = kept.len() as u32;
        for b in kept {
            drop(b);
        }
        n
    }
    fn build(n: u32) -> Vec<Blob> {
        (0..n)
            .map(|i| {
                let b = Blob::new(&[i as u8, i as u8]);
                b.append(&[i as u8 + 1]);
                b
            })
            .collect()
    }
    fn retag(t: Tagged) -> Tagged {
        let doubled = Blob::concat(&t.item, &t.item);
        drop(t.item);
        Tagged { name: format!("{}?", t.name), item: doubled }
    }
    fn store_check(n: u32) -> String {
        let mut bs = store::make_many(n);
        let borrows: Vec<&Blob> = bs.iter().collect();
        let total = store::total_size(&borrows);
        let first = bs.remove(0);
        drop(bs);
        let t = store::wrap("w", first);
        let name = t.name.clone();
        let b0 = store::unwrap(t);
        let size = match store::pick(Some(b0)) {
            Ok(b) => b.size(),
            Err(_) => 0,
        };
        let none = match store::pick(None) {
            Ok(_) => "-".to_string(),
            Err(e) => e,
        };
        format!("total={total} tagged={name} size={size} none={none}")
    }
    fn stash_borrow(b: &Blob) {
        STASHED.with(|s| s.set(b.handle()));
    }
    fn bad_handle(how: u32) -> u32 {
        let h = match how {
            0 => counter("bad".to_string(), 0).take_handle(), // a counter's handle as a blob
            1 => 12345,
            2 => {
                let b = Blob::new(&[1]);
                let h = b.handle();
                drop(b);
                h
            }
            _ => STASHED.with(|s| s.get()),
        };
        // Misbehaving on purpose: none of these is a live blob handle.
        let b = std::mem::ManuallyDrop::new(unsafe { Blob::from_handle(h) });
        b.size()
    }
    fn return_dropped() -> Counter {
        let c = counter("ghost".to_string(), 0);
        let h = c.handle();
        drop(c);
        // Misbehaving on purpose: the handle is gone.
        unsafe { Counter::from_handle(h) }
    }
}

export!(Component);
