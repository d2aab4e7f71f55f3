//! `EventStream`: chunking, errors, keep-alive and lifetime on one timer, the framework bodies,
//! and the write timeout on real servers on loopback.

#[path = "../common/mod.rs"]
mod common;

mod body;
mod keep_alive_tokio;
mod stream;
mod timeouts;
