//! The hub: in memory, and on real `redis-server` processes (feature `redis`).

#[path = "../common/mod.rs"]
mod common;

mod hub;
mod redis;
mod suite;
