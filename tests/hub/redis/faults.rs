//! Redis failing under a hub: killed and restarted with and without its data, unreachable,
//! stopped (`SIGSTOP`). Each test runs its own `redis-server`.
