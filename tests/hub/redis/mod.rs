//! `RedisHub` on real Redis: the shared suite against one instance, two instances on one
//! Redis and two instances on a 3-master Redis Cluster; then each problem a Redis hub must not
//! have, and Redis failing under it.
#![cfg(feature = "redis")]

mod backend;
mod faults;
mod findings;
mod servers;
