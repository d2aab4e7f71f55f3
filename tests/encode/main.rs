//! Events to bytes: the conformance vectors, property tests of the round trip through a
//! parser of the standard, JSON data, and the header helpers.

#[path = "../common/mod.rs"]
mod common;

mod headers;
mod json;
mod roundtrip;
mod vectors;
