//! The examples as a user runs them, and the reliability of real servers on loopback.

#[path = "../common/mod.rs"]
mod common;

mod examples;
mod reliability;
