//! The examples as a user runs them, the reliability of real servers on loopback, and SSE over
//! HTTP/2.

#[path = "../common/mod.rs"]
mod common;

mod examples;
mod h2;
mod reliability;
