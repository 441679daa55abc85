//! One device's requests over snmp2, with what snmp2 leaves out: a per-attempt timeout, retries,
//! and skipping stale replies.
//!
//! snmp2 has one request in flight per session and fails the next call when a late reply to an
//! abandoned request arrives. So after any failed attempt (timeout, stale or mismatched reply)
//! the session is dropped and the next attempt opens a fresh one on a new UDP socket, where the
//! late reply can never arrive. SNMPv3 sessions repeat engine discovery when reopened.

use std::net::SocketAddr;
use std::time::Duration;

use snmp2::v3::{AuthErrorKind, Security};
use snmp2::{AsyncSession, Oid, Pdu, Value as SnmpValue};
use tokio::time::Instant;

use super::oid;
use crate::bindings::vigia::plugin::snmp::Value;
use crate::bindings::vigia::plugin::types::HostError as WitHostError;

/// Stale or mismatched replies skipped in one request before giving up (on top of the retries).
const MAX_STALE: u32 = 16;

/// Request ids stay positive and below 2^30 (some agents mishandle negative ones); each fresh
/// session starts 2^16 ids further on.
pub(crate) const REQUEST_ID_MASK: i32 = 0x3fff_ffff;

/// One varbind of an answer: the OID's arcs and its value.
pub(crate) type Row = (Vec<u64>, Value);

/// Resolved credentials (secret values, never logged).
pub(crate) enum Credentials {
    V2c { community: Vec<u8> },
    V3(Box<Security>),
}

/// Timing of a device's requests: per-attempt timeout, retries, and the run's I/O deadline.
pub(crate) struct Policy {
    /// 0: as long as the run allows.
    pub(crate) timeout_ms: u32,
    pub(crate) retries: u8,
    pub(crate) io_deadline: Instant,
}

/// A request PDU to send.
pub(crate) enum Op<'a> {
    Get(&'a [Oid<'static>]),
    Bulk {
        oids: &'a [Oid<'static>],
        non_repeaters: u32,
        max_repetitions: u32,
    },
}

/// How an attempt failed.
enum Failure {
    /// A reply to something else, or a v3 context to refresh: try again on a fresh session.
    Stale,
    /// Worth another attempt; the error if none is left.
    Retry(WitHostError),
    /// Final.
    Fatal(WitHostError),
}

/// The client side of one device for one call. The caller holds the device's lock.
pub(crate) struct Device {
    addr: SocketAddr,
    credentials: Credentials,
    policy: Policy,
    session: Option<Box<AsyncSession>>,
    request_id: i32,
}

impl Device {
    pub(crate) fn new(
        addr: SocketAddr,
        credentials: Credentials,
        policy: Policy,
        request_id: i32,
    ) -> Self {
        Self {
            addr,
            credentials,
            policy,
            session: None,
            request_id,
        }
    }

    /// Sends `op` until an answer, the retries run out, or the run's I/O deadline passes.
    pub(crate) async fn request(&mut self, op: &Op<'_>) -> Result<Vec<Row>, WitHostError> {
        let mut attempts_left = u32::from(self.policy.retries) + 1;
        let mut stale = 0;
        loop {
            let timeout = self.attempt_timeout()?;
            let failure = match tokio::time::timeout(timeout, self.attempt(op)).await {
                Ok(Ok(rows)) => return Ok(rows),
                Ok(Err(failure)) => failure,
                Err(_elapsed) => Failure::Retry(WitHostError::Timeout),
            };
            self.session = None;
            match failure {
                Failure::Fatal(error) => return Err(error),
                Failure::Stale => {
                    stale += 1;
                    if stale > MAX_STALE {
                        return Err(WitHostError::Protocol(format!(
                            "{}: more than {MAX_STALE} stale or mismatched replies",
                            self.addr
                        )));
                    }
                }
                Failure::Retry(error) => {
                    attempts_left -= 1;
                    if attempts_left == 0 {
                        return Err(error);
                    }
                }
            }
        }
    }

    fn attempt_timeout(&self) -> Result<Duration, WitHostError> {
        let left = self
            .policy
            .io_deadline
            .saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(WitHostError::Timeout);
        }
        Ok(match self.policy.timeout_ms {
            0 => left,
            ms => Duration::from_millis(u64::from(ms)).min(left),
        })
    }

    async fn attempt(&mut self, op: &Op<'_>) -> Result<Vec<Row>, Failure> {
        let addr = self.addr;
        if self.session.is_none() {
            self.request_id = self.request_id.wrapping_add(1 << 16) & REQUEST_ID_MASK;
            self.session = Some(open(addr, &self.credentials, self.request_id).await?);
        }
        let session = self.session.as_mut().expect("opened above");
        let is_v3 = matches!(self.credentials, Credentials::V3(_));
        let answer = match op {
            Op::Get(oids) => {
                let refs: Vec<&Oid<'_>> = oids.iter().collect();
                session.get_many(&refs).await
            }
            Op::Bulk {
                oids,
                non_repeaters,
                max_repetitions,
            } => {
                let refs: Vec<&Oid<'_>> = oids.iter().collect();
                session
                    .getbulk(&refs, *non_repeaters, *max_repetitions)
                    .await
            }
        };
        let pdu = answer.map_err(|e| classify(addr, is_v3, e))?;
        rows(addr, pdu).map_err(Failure::Fatal)
    }
}

async fn open(
    addr: SocketAddr,
    credentials: &Credentials,
    request_id: i32,
) -> Result<Box<AsyncSession>, Failure> {
    let socket_error =
        |e: std::io::Error| Failure::Retry(WitHostError::Unreachable(format!("{addr}: {e}")));
    match credentials {
        Credentials::V2c { community } => AsyncSession::new_v2c(addr, community, request_id)
            .await
            .map(Box::new)
            .map_err(socket_error),
        Credentials::V3(security) => {
            let mut session = Box::new(
                AsyncSession::new_v3(addr, request_id, Security::clone(security))
                    .await
                    .map_err(socket_error)?,
            );
            session.init().await.map_err(|e| classify(addr, true, e))?;
            Ok(session)
        }
    }
}

fn classify(addr: SocketAddr, is_v3: bool, error: snmp2::Error) -> Failure {
    use snmp2::Error as E;
    match error {
        E::RequestIdMismatch | E::CommunityMismatch | E::AuthUpdated => Failure::Stale,
        E::AuthFailure(AuthErrorKind::EngineBootsMismatch | AuthErrorKind::EngineTimeMismatch) => {
            Failure::Stale
        }
        E::AuthFailure(kind) => Failure::Fatal(WitHostError::Auth(format!(
            "{addr}: snmpv3 security check failed ({kind:?})"
        ))),
        E::Crypto(reason) => Failure::Fatal(WitHostError::Auth(format!(
            "{addr}: snmpv3 privacy failed ({reason}): check the privacy protocol and secret"
        ))),
        // snmp2 checks the reply's PDU type; an SNMPv3 agent answers a refused user, password or
        // security level with a Report PDU instead of a Response.
        E::AsnWrongType if is_v3 => Failure::Fatal(WitHostError::Auth(format!(
            "{addr}: the agent answered with a report: user, secret or security level refused"
        ))),
        E::Send => Failure::Retry(WitHostError::Unreachable(format!(
            "{addr}: cannot send the request"
        ))),
        E::Receive => Failure::Retry(WitHostError::Unreachable(format!(
            "{addr}: receive failed (port or host unreachable: no SNMP agent there?)"
        ))),
        E::BufferOverflow | E::ValueOutOfRange => Failure::Fatal(WitHostError::InvalidArgument(
            format!("{addr}: the request does not fit in one SNMP message"),
        )),
        other => Failure::Fatal(WitHostError::Protocol(format!(
            "{addr}: malformed reply: {other}"
        ))),
    }
}

/// The varbinds of a response, or the error its error-status names.
fn rows(addr: SocketAddr, pdu: Pdu<'_>) -> Result<Vec<Row>, WitHostError> {
    if pdu.error_status != 0 {
        return Err(status_error(addr, pdu.error_status, pdu.error_index));
    }
    let mut rows = Vec::new();
    for (name, value) in pdu.varbinds {
        let arcs = oid::arcs(&name).ok_or_else(|| {
            WitHostError::Protocol(format!("{addr}: an OID in the reply does not fit 64 bits"))
        })?;
        rows.push((arcs, value_of(addr, value)?));
    }
    Ok(rows)
}

fn value_of(addr: SocketAddr, value: SnmpValue<'_>) -> Result<Value, WitHostError> {
    Ok(match value {
        SnmpValue::Integer(n) => Value::Integer(n),
        SnmpValue::OctetString(bytes) => Value::Octets(bytes.to_vec()),
        SnmpValue::ObjectIdentifier(id) => match oid::arcs(&id) {
            Some(arcs) => Value::ObjectId(oid::format(&arcs)),
            None => Value::ObjectId(id.to_id_string()),
        },
        SnmpValue::IpAddress([a, b, c, d]) => Value::IpAddress((a, b, c, d)),
        SnmpValue::Counter32(n) => Value::Counter32(n),
        SnmpValue::Unsigned32(n) => Value::Gauge32(n),
        SnmpValue::Timeticks(n) => Value::Timeticks(n),
        SnmpValue::Opaque(bytes) => Value::Opaque(bytes.to_vec()),
        SnmpValue::Counter64(n) => Value::Counter64(n),
        SnmpValue::Null => Value::Null,
        SnmpValue::NoSuchObject => Value::NoSuchObject,
        SnmpValue::NoSuchInstance => Value::NoSuchInstance,
        SnmpValue::EndOfMibView => Value::EndOfMibView,
        other => {
            return Err(WitHostError::Protocol(format!(
                "{addr}: a varbind holds a value SNMP does not allow there ({other:?})"
            )));
        }
    })
}

/// RFC 3416 error-status values.
fn status_error(addr: SocketAddr, status: u32, index: u32) -> WitHostError {
    let name = match status {
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        16 => "authorizationError",
        _ => "error",
    };
    let text = format!("{addr}: the agent answered {name} (error-status {status}, index {index})");
    match status {
        1 => WitHostError::InvalidArgument(format!("{text}: ask for fewer OIDs or repetitions")),
        6 | 16 => WitHostError::Auth(text),
        _ => WitHostError::Protocol(text),
    }
}
