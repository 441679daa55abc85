//! [`ApiSession`]: one binary-API connection to a router (through the host's `tcp` capability):
//! login, tagged `print`s, and a bounded `listen` stopped with `/cancel`.
//!
//! Every read is bounded by `timeout_ms` and the run's budget; the bytes read by `max_bytes`;
//! words and sentences by the decoder's limits. After a connection-level failure (timeout,
//! closed stream, malformed bytes, `!fatal`) the session is [`broken`](ApiSession::broken).

use vigia_plugin_sdk::tcp::TlsOptions;
use vigia_plugin_sdk::{ErrorClass, Host, HostError, PluginError, TcpConnection};
use vigia_routeros::{Limits, Reply, ReplyKind, Request, SentenceDecoder, login};

use crate::config::Config;
use crate::endpoint::Endpoint;
use crate::rows::{Row, clean};
use crate::time::RunClock;

/// Bytes asked for per read.
const READ_CHUNK: u32 = 64 << 10;

/// Decoder bounds: RouterOS words are short; a sentence is one row.
const LIMITS: Limits = Limits {
    max_word_bytes: 64 << 10,
    max_sentence_bytes: 1 << 20,
    max_words: 1024,
};

/// How long [`ApiSession::poll`] may wait.
#[derive(Debug, Clone, Copy)]
enum Wait {
    /// A reply is due: waiting longer than `timeout_ms` is a failure.
    Reply,
    /// Listening: return `None` at this monotonic time.
    Until(u64),
}

pub(crate) struct ApiSession<'a, H: Host> {
    host: &'a H,
    connection: H::Connection,
    clock: RunClock,
    decoder: SentenceDecoder,
    timeout_ms: u32,
    max_bytes: u64,
    bytes_read: u64,
    next_tag: u32,
    /// Monotonic time of the last read that returned data.
    last_read_ns: u64,
    broken: bool,
}

impl<'a, H: Host> ApiSession<'a, H> {
    /// Connects (TLS when configured).
    pub(crate) fn connect(
        host: &'a H,
        endpoint: &Endpoint,
        config: &Config,
        clock: RunClock,
    ) -> Result<Self, PluginError> {
        let tls = config.tls.then(|| TlsOptions {
            server_name: config.tls_server_name.clone(),
        });
        let timeout = clock.op_timeout(host, config.timeout_ms)?;
        let connection = host
            .tcp_connect(&endpoint.host, endpoint.port, tls.as_ref(), timeout)
            .map_err(|error| {
                PluginError::from(error).context(format!("connect to {}", endpoint.authority()))
            })?;
        Ok(Self {
            host,
            connection,
            clock,
            decoder: SentenceDecoder::new(LIMITS),
            timeout_ms: config.timeout_ms,
            max_bytes: u64::from(config.max_bytes),
            bytes_read: 0,
            next_tag: 1,
            last_read_ns: 0,
            broken: false,
        })
    }

    /// Whether the connection can no longer be used.
    pub(crate) fn broken(&self) -> bool {
        self.broken
    }

    /// Wall-clock time of the last data read (for stamping listen events).
    pub(crate) fn last_read_ms(&self) -> u64 {
        self.clock.wall_ms_at(self.last_read_ns)
    }

    /// Logs in: the current form first, the pre-6.43 challenge when the router answers with one.
    pub(crate) fn login(&mut self, user: &str, password: &str) -> Result<(), PluginError> {
        self.send(&login::request(user, password))?;
        let reply = self.login_reply()?;
        let Some(challenge) = reply.get("ret") else {
            return Ok(());
        };
        let request = login::legacy_request(user, password, challenge)
            .map_err(|error| self.fail(PluginError::invalid_response(format!("login: {error}"))))?;
        self.send(&request)?;
        let reply = self.login_reply()?;
        if reply.get("ret").is_some() {
            return Err(self.fail(PluginError::auth(
                "login: the router answered the challenge response with another challenge",
            )));
        }
        Ok(())
    }

    /// The `!done` ending a login step; `!trap` is refused credentials.
    fn login_reply(&mut self) -> Result<Reply, PluginError> {
        loop {
            let Some(reply) = self.poll(Wait::Reply)? else {
                continue;
            };
            match reply.kind {
                ReplyKind::Done => return Ok(reply),
                ReplyKind::Trap => {
                    let message = reply.message().unwrap_or("refused");
                    // A refused login leaves the router waiting for another: end this session.
                    self.broken = true;
                    return Err(PluginError::auth(format!("login refused: {message}")));
                }
                ReplyKind::Re | ReplyKind::Empty | ReplyKind::Fatal => {}
            }
        }
    }

    /// Runs a `print` (tagged) and returns its rows. More than `max_rows` rows is a `budget`
    /// failure, `!trap` a classified one.
    pub(crate) fn print(
        &mut self,
        request: Request,
        max_rows: u32,
    ) -> Result<Vec<Row>, PluginError> {
        let what = request.command.clone();
        let tag = self.tag();
        self.send(&request.tag(tag.clone()))?;
        let mut rows = Vec::new();
        let mut overflow = false;
        let mut trap = None;
        loop {
            let Some(reply) = self.poll(Wait::Reply)? else {
                continue;
            };
            if reply.tag.as_deref() != Some(tag.as_str()) {
                continue;
            }
            match reply.kind {
                ReplyKind::Re if rows.len() < max_rows as usize => {
                    rows.push(clean(reply.attributes))
                }
                ReplyKind::Re => overflow = true,
                ReplyKind::Trap => trap = Some(trap_error(&what, &reply)),
                ReplyKind::Empty | ReplyKind::Fatal => {}
                ReplyKind::Done => break,
            }
        }
        if let Some(error) = trap {
            return Err(error);
        }
        if overflow {
            return Err(PluginError::budget(format!(
                "{what}: more than {max_rows} rows (raise `max_rows`)"
            )));
        }
        Ok(rows)
    }

    /// Follows `/ppp/active/listen` for `window_ms`, handing every event row to `on_event`, then
    /// cancels it and reads until both the listen and the cancel are done.
    pub(crate) fn listen(
        &mut self,
        window_ms: u32,
        mut on_event: impl FnMut(Row, u64),
    ) -> Result<(), PluginError> {
        let what = "/ppp/active/listen";
        let tag = self.tag();
        self.send(&Request::new(what).tag(tag.clone()))?;
        let until = self.host.monotonic_ns() + u64::from(window_ms) * 1_000_000;
        let mut trap = None;
        // Until the window closes: events, or the router ending the listen itself.
        while let Some(reply) = self.poll(Wait::Until(until))? {
            if reply.tag.as_deref() != Some(tag.as_str()) {
                continue;
            }
            match reply.kind {
                ReplyKind::Re => on_event(clean(reply.attributes), self.last_read_ms()),
                ReplyKind::Trap => trap = Some(trap_error(what, &reply)),
                ReplyKind::Done => return trap.map_or(Ok(()), Err),
                ReplyKind::Empty | ReplyKind::Fatal => {}
            }
        }
        let cancel_tag = self.tag();
        self.send(
            &Request::new("/cancel")
                .attribute("tag", tag.clone())
                .tag(cancel_tag.clone()),
        )?;
        let (mut listen_done, mut cancel_done) = (false, false);
        while !(listen_done && cancel_done) {
            let Some(reply) = self.poll(Wait::Reply)? else {
                continue;
            };
            let reply_tag = reply.tag.as_deref();
            match reply.kind {
                ReplyKind::Re if reply_tag == Some(tag.as_str()) => {
                    on_event(clean(reply.attributes), self.last_read_ms());
                }
                ReplyKind::Done if reply_tag == Some(tag.as_str()) => listen_done = true,
                ReplyKind::Done if reply_tag == Some(cancel_tag.as_str()) => cancel_done = true,
                // The cancelled listen ends with `!trap =category=2 =message=interrupted`.
                ReplyKind::Trap if reply_tag == Some(cancel_tag.as_str()) => {
                    trap = Some(trap_error("/cancel", &reply));
                }
                _ => {}
            }
        }
        trap.map_or(Ok(()), Err)
    }

    fn tag(&mut self) -> String {
        let tag = self.next_tag.to_string();
        self.next_tag += 1;
        tag
    }

    fn send(&mut self, request: &Request) -> Result<(), PluginError> {
        let bytes = request.encode().map_err(|error| {
            PluginError::internal(format!("cannot encode {}: {error}", request.command))
        })?;
        let timeout = self
            .clock
            .op_timeout(self.host, self.timeout_ms)
            .map_err(|e| self.fail(e))?;
        self.connection
            .write(&bytes, timeout)
            .map_err(|error| self.fail(io_error(error, "write to the router")))
    }

    /// The next reply (`!fatal` is an error), or `None` when `wait` is `Until` and it passed.
    fn poll(&mut self, wait: Wait) -> Result<Option<Reply>, PluginError> {
        loop {
            match self.decoder.next_sentence() {
                Ok(Some(sentence)) => {
                    let reply = Reply::parse(&sentence).map_err(|error| {
                        self.fail(PluginError::invalid_response(format!(
                            "malformed reply: {error}"
                        )))
                    })?;
                    if reply.kind == ReplyKind::Fatal {
                        return Err(self.fail(fatal_error(&reply)));
                    }
                    return Ok(Some(reply));
                }
                Ok(None) => {}
                Err(error) => {
                    return Err(self.fail(PluginError::invalid_response(format!(
                        "malformed reply: {error}"
                    ))));
                }
            }
            let now = self.host.monotonic_ns();
            let timeout = match wait {
                Wait::Reply => match self.clock.remaining_ms(now) {
                    0 => {
                        return Err(
                            self.fail(PluginError::timeout("the run's time budget is spent"))
                        );
                    }
                    left => left.min(self.timeout_ms),
                },
                Wait::Until(until) => {
                    let left =
                        u32::try_from(until.saturating_sub(now) / 1_000_000).unwrap_or(u32::MAX);
                    match left.min(self.clock.remaining_ms(now)) {
                        0 => return Ok(None),
                        left => left.min(self.timeout_ms),
                    }
                }
            };
            let bytes = match self.connection.read(READ_CHUNK, timeout) {
                Ok(bytes) => bytes,
                Err(HostError::Timeout) if matches!(wait, Wait::Until(_)) => continue,
                Err(error) => return Err(self.fail(io_error(error, "read from the router"))),
            };
            if bytes.is_empty() {
                let error = if self.decoder.has_partial() {
                    PluginError::invalid_response(
                        "the router's reply ended inside a sentence (truncated stream)",
                    )
                } else {
                    PluginError::unreachable("the router closed the connection")
                };
                return Err(self.fail(error));
            }
            self.bytes_read += bytes.len() as u64;
            if self.bytes_read > self.max_bytes {
                let max = self.max_bytes;
                return Err(self.fail(PluginError::budget(format!(
                    "read more than {max} bytes from the router (raise `max_bytes`)"
                ))));
            }
            self.last_read_ns = now;
            self.decoder.feed(&bytes);
        }
    }

    fn fail(&mut self, error: PluginError) -> PluginError {
        self.broken = true;
        error
    }
}

fn io_error(error: HostError, what: &str) -> PluginError {
    let error = PluginError::from(error);
    if error.class == ErrorClass::Timeout {
        PluginError::timeout(format!("{what}: no answer in time"))
    } else {
        error.context(what)
    }
}

/// `!trap` of a command: missing permissions are `auth`, an unknown command or menu (category
/// 0) `unsupported`, anything else `invalid-response`.
fn trap_error(what: &str, reply: &Reply) -> PluginError {
    let message = reply.message().unwrap_or("no message");
    let lower = message.to_ascii_lowercase();
    let class = if lower.contains("permission") {
        ErrorClass::Auth
    } else if reply.get("category") == Some("0") || lower.contains("no such command") {
        ErrorClass::Unsupported
    } else {
        ErrorClass::InvalidResponse
    };
    PluginError::new(class, format!("{what}: router error: {message}"))
}

/// `!fatal`: the router is closing the session.
fn fatal_error(reply: &Reply) -> PluginError {
    let reason = reply.message().unwrap_or("no reason given");
    let message = format!("the router ended the session: {reason}");
    if reason.contains("terminated") {
        PluginError::unreachable(message)
    } else {
        PluginError::invalid_response(message)
    }
}
