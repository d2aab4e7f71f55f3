//! Connections to one Redis or to a Redis Cluster, behind one type, and their errors as the
//! crate's own.

use super::super::HubError;
use alloc::string::ToString;
use core::time::Duration;
use redis_client::aio::{ConnectionLike, MultiplexedConnection};
use redis_client::cluster_async::ClusterConnection;
use redis_client::{Cmd, Pipeline, RedisError, RedisFuture, Value};

use ::redis as redis_client;

/// How long a blocking read waits before it reads again: what bounds how late a reader notices
/// a stream that was recreated with lower numbers.
pub(super) const BLOCK: Duration = Duration::from_millis(2000);

/// How long a connection may take to be made.
const CONNECT: Duration = Duration::from_secs(2);

/// How long a reply may take: a blocking read's wait, plus a margin. A Redis that stopped
/// answering (`SIGSTOP`, a network partition) fails a publish after this.
const RESPONSE: Duration = Duration::from_secs(5);

/// Where the hub's Redis is.
#[derive(Clone)]
pub(super) enum Target {
    One(redis_client::Client),
    Cluster(redis_client::cluster::ClusterClient),
}

impl Target {
    pub(super) fn one(url: &str) -> Result<Target, HubError> {
        Ok(Target::One(redis_client::Client::open(url).map_err(error)?))
    }

    pub(super) fn cluster(nodes: &[&str]) -> Result<Target, HubError> {
        let client = redis_client::cluster::ClusterClientBuilder::new(nodes.to_vec())
            .connection_timeout(CONNECT)
            .response_timeout(RESPONSE)
            .retries(1)
            .build()
            .map_err(error)?;
        Ok(Target::Cluster(client))
    }

    /// A new connection of its own: a reader's blocking read must not hold up other commands.
    pub(super) async fn connect(&self) -> Result<Conn, HubError> {
        match self {
            Target::One(client) => {
                let config = redis_client::AsyncConnectionConfig::new()
                    .set_connection_timeout(CONNECT)
                    .set_response_timeout(RESPONSE);
                let conn = client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await;
                Ok(Conn::One(conn.map_err(error)?))
            }
            Target::Cluster(client) => Ok(Conn::Cluster(
                client.get_async_connection().await.map_err(error)?,
            )),
        }
    }
}

/// A connection to one Redis or to a cluster (which routes each command by its key).
#[derive(Clone)]
pub(super) enum Conn {
    One(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::One(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, alloc::vec::Vec<Value>> {
        match self {
            Conn::One(c) => c.req_packed_commands(cmd, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::One(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// Whether the connection that gave `e` must be made again.
pub(super) fn broken(e: &RedisError) -> bool {
    e.is_unrecoverable_error() || e.is_io_error() || e.is_connection_dropped() || e.is_timeout()
}

/// A Redis error as the crate's: [`HubError::Unavailable`] when Redis could not be reached or
/// did not answer in time, [`HubError::Rejected`] when it answered with an error.
pub(super) fn error(e: RedisError) -> HubError {
    let reason = e.to_string();
    if broken(&e) || e.is_connection_refusal() || e.is_cluster_error() {
        HubError::Unavailable { reason }
    } else {
        HubError::Rejected { reason }
    }
}
