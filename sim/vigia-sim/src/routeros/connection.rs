//! One API connection: a reader that decodes requests and answers them in order, a writer fed
//! through a bounded queue (the replies and every running `listen` share it), and the session
//! state (logged in, a pending legacy challenge, the running listens by tag).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use vigia_routeros::{Limits, Query, Reply, Request, Sentence, SentenceDecoder, login};

use super::menus::{self, Row};
use super::{Shared, format};
use crate::world::{Change, Vendor, VendorMode};

/// Decoder bounds: far above any request a client sends, far below what would hurt.
pub const LIMITS: Limits = Limits {
    max_word_bytes: 64 << 10,
    max_sentence_bytes: 256 << 10,
    max_words: 256,
};
/// A connection with no request and no listen running is closed after this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// Replies queued for a client that does not read, before the router stops producing them.
const QUEUE: usize = 1024;

/// The `!trap` message of a refused login.
pub(crate) const BAD_LOGIN: &str = "invalid user name or password (6)";

enum Out {
    Bytes(Vec<u8>),
    /// Flush and close.
    Close,
}

/// Whether the connection goes on after a request.
enum Flow {
    Continue,
    Close,
}

struct Connection {
    shared: Arc<Shared>,
    out: mpsc::Sender<Out>,
    logged_in: bool,
    /// The challenge of a pre-6.43 login in progress.
    challenge: Option<Vec<u8>>,
    listens: HashMap<String, JoinHandle<()>>,
}

/// Serves one client until it quits, breaks the protocol, goes idle or disconnects.
pub(crate) async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let (mut reader, writer) = stream.into_split();
    let (out, queue) = mpsc::channel(QUEUE);
    let writer = tokio::spawn(write_all(writer, queue));
    let mut connection = Connection {
        shared,
        out,
        logged_in: false,
        challenge: None,
        listens: HashMap::new(),
    };
    connection.run(&mut reader).await;
    for (_, listen) in connection.listens.drain() {
        listen.abort();
    }
    let _ = connection.out.send(Out::Close).await;
    drop(connection);
    let _ = writer.await;
}

async fn write_all(mut writer: OwnedWriteHalf, mut queue: mpsc::Receiver<Out>) {
    while let Some(out) = queue.recv().await {
        match out {
            Out::Bytes(bytes) => {
                if writer.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Out::Close => break,
        }
    }
    let _ = writer.shutdown().await;
}

impl Connection {
    async fn run(&mut self, reader: &mut tokio::net::tcp::OwnedReadHalf) {
        let mut decoder = SentenceDecoder::new(LIMITS);
        let mut buf = vec![0u8; 16 << 10];
        loop {
            let read = if self.listens.is_empty() {
                match tokio::time::timeout(IDLE_TIMEOUT, reader.read(&mut buf)).await {
                    Ok(read) => read,
                    Err(_) => return,
                }
            } else {
                reader.read(&mut buf).await
            };
            let n = match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            decoder.feed(&buf[..n]);
            loop {
                match decoder.next_sentence() {
                    Ok(Some(sentence)) => {
                        if let Flow::Close = self.handle(&sentence).await {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        tracing::debug!(%error, "routeros: malformed request, closing");
                        self.send(Reply::fatal(error.to_string())).await;
                        return;
                    }
                }
            }
        }
    }

    async fn send(&self, reply: Reply) {
        match reply.encode() {
            Ok(bytes) => {
                let _ = self.out.send(Out::Bytes(bytes)).await;
            }
            Err(error) => tracing::error!(%error, "routeros: cannot encode a reply"),
        }
    }

    async fn send_all(&self, replies: Vec<Reply>, tag: Option<&str>) {
        for reply in replies {
            let reply = match tag {
                Some(tag) => reply.with_tag(tag),
                None => reply,
            };
            self.send(reply).await;
        }
    }

    async fn handle(&mut self, sentence: &Sentence) -> Flow {
        let request = match Request::parse(sentence) {
            Ok(request) => request,
            Err(error) => {
                let tag = sentence
                    .words_lossy()
                    .into_iter()
                    .find_map(|w| w.strip_prefix(".tag=").map(str::to_owned));
                let replies = vec![Reply::trap(error.to_string()), Reply::done()];
                self.send_all(replies, tag.as_deref()).await;
                return Flow::Continue;
            }
        };
        let mode = self.shared.sim.world().vendor_mode(Vendor::Routeros);
        match mode {
            Some((VendorMode::Down, _)) => return Flow::Close,
            Some((VendorMode::Hang, _)) => return Flow::Continue,
            Some((VendorMode::Slow, delay_ms)) => {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            }
            None => {}
        }
        let tag = request.tag.clone();
        let command = request.command.as_str();
        let replies = match command {
            "/quit" => {
                self.send(Reply::fatal("session terminated on request"))
                    .await;
                return Flow::Close;
            }
            "/login" => self.login(&request),
            _ if !self.logged_in => vec![Reply::trap("not logged in"), Reply::done()],
            "/cancel" => {
                self.cancel(&request).await;
                return Flow::Continue;
            }
            "/ppp/active/listen" => {
                self.listen(request);
                return Flow::Continue;
            }
            _ => self.menu(&request),
        };
        self.send_all(replies, tag.as_deref()).await;
        Flow::Continue
    }

    fn login(&mut self, request: &Request) -> Vec<Reply> {
        let credentials = &self.shared.sim.scenario().credentials;
        let (user, password) = (&credentials.routeros_user, &credentials.routeros_password);
        let name_ok = request.get("name") == Some(user.as_str());
        let accepted = if self.shared.router.version.plain_login() {
            name_ok && request.get("password") == Some(password.as_str())
        } else {
            match request.get("response") {
                Some(response) => self.challenge.take().is_some_and(|challenge| {
                    name_ok
                        && login::verify_legacy_response(password.as_bytes(), &challenge, response)
                }),
                // `/login`, or the current form (which a pre-6.43 router answers with a challenge).
                None => {
                    let challenge = random_challenge();
                    let hex = login::hex_encode(&challenge);
                    self.challenge = Some(challenge);
                    return vec![Reply::done().with("ret", hex)];
                }
            }
        };
        if accepted {
            self.logged_in = true;
            vec![Reply::done()]
        } else {
            vec![Reply::trap(BAD_LOGIN), Reply::done()]
        }
    }

    /// `/cancel =tag=N`: the listen ends with `!trap interrupted`, the cancel's `!done`, then the
    /// listen's `!done` (RouterOS's order). Without `=tag=`, every listen is cancelled.
    async fn cancel(&mut self, request: &Request) {
        let tags: Vec<String> = match request.get("tag") {
            Some(tag) => vec![tag.to_owned()],
            None => self.listens.keys().cloned().collect(),
        };
        let own = request.tag.as_deref();
        let mut ended = Vec::new();
        let mut unknown = false;
        for tag in tags {
            match self.listens.remove(&tag) {
                Some(listen) => {
                    listen.abort();
                    // Wait for it to stop, so none of its rows follows the `!trap`.
                    let _ = listen.await;
                    let trap = Reply::trap("interrupted").with("category", "2");
                    self.send(trap.with_tag(tag.clone())).await;
                    ended.push(tag);
                }
                None => unknown = true,
            }
        }
        if unknown {
            let trap =
                Reply::trap("no such command or it has already finished").with("category", "2");
            self.send_all(vec![trap], own).await;
        }
        self.send_all(vec![Reply::done()], own).await;
        for tag in ended {
            self.send(Reply::done().with_tag(tag)).await;
        }
    }

    /// `/ppp/active/listen`: follows the world's session changes for this concentrator until
    /// cancelled. New sessions come as their full row (`.proplist` and queries applied), ended
    /// ones as `!re =.id=*X =.dead=yes`.
    fn listen(&mut self, request: Request) {
        let tag = request.tag.clone().unwrap_or_default();
        if let Some(previous) = self.listens.remove(&tag) {
            previous.abort();
        }
        let changes = self.shared.sim.subscribe();
        let task = tokio::spawn(follow(
            self.shared.clone(),
            request,
            changes,
            self.out.clone(),
        ));
        self.listens.insert(tag, task);
    }

    /// The print commands.
    fn menu(&self, request: &Request) -> Vec<Reply> {
        let now = OffsetDateTime::now_utc();
        let router = &self.shared.router;
        let (menu, verb) = match request.command.rsplit_once('/') {
            Some(split) => split,
            None => return no_such_command(),
        };
        if !matches!(verb, "print" | "getall") {
            return no_such_command();
        }
        let rows = {
            let world = self.shared.sim.world();
            match menu {
                "/ppp/active" => menus::active(&world, router, now),
                "/ppp/secret" => menus::secrets(&world, router),
                "/interface" => menus::interfaces(&world, router, now),
                "/system/resource" => vec![menus::resource(&world, router, now)],
                "/system/identity" => vec![menus::identity(&world, router)],
                _ => return no_such_command(),
            }
        };
        let mut replies = Vec::new();
        for row in rows {
            match selected(&row, request) {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => {}
                Err(error) => return vec![Reply::trap(error), Reply::done()],
            }
        }
        if replies.is_empty() && router.version.empty_reply() {
            replies.push(Reply::empty());
        }
        replies.push(Reply::done());
        replies
    }
}

fn no_such_command() -> Vec<Reply> {
    vec![
        Reply::trap("no such command prefix").with("category", "0"),
        Reply::done(),
    ]
}

/// The row as a `!re` when it matches the request's queries, with only the `.proplist`.
fn selected(row: &Row, request: &Request) -> Result<Option<Reply>, String> {
    let matches = Query::evaluate(&request.queries, |name| row.get(name).map(String::as_str))
        .map_err(|error| error.to_string())?;
    if !matches {
        return Ok(None);
    }
    let attributes: Vec<(&String, &String)> = match &request.proplist {
        Some(names) => names
            .iter()
            .filter_map(|name| row.get_key_value(name.as_str()))
            .collect(),
        None => row.iter().collect(),
    };
    Ok(Some(Reply::row(
        attributes.into_iter().map(|(k, v)| (k.clone(), v.clone())),
    )))
}

/// A listen's task: one `!re` per change of this concentrator's sessions.
async fn follow(
    shared: Arc<Shared>,
    request: Request,
    mut changes: broadcast::Receiver<Change>,
    out: mpsc::Sender<Out>,
) {
    let router = shared.router.index;
    loop {
        let change = match changes.recv().await {
            Ok(change) => change,
            // Missed changes cannot be replayed; go on with the next ones.
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let reply = match change {
            Change::SessionDown {
                concentrator, id, ..
            } if concentrator == router => Some(Reply::row([
                (".id", format::id(id)),
                (".dead", "yes".to_owned()),
            ])),
            Change::SessionUp {
                concentrator,
                subscriber,
            } if concentrator == router => {
                let row = {
                    let world = shared.sim.world();
                    menus::active_row(&world, subscriber, OffsetDateTime::now_utc())
                };
                row.and_then(|row| selected(&row, &request).ok().flatten())
            }
            _ => None,
        };
        let Some(mut reply) = reply else { continue };
        if let Some(tag) = &request.tag {
            reply = reply.with_tag(tag.clone());
        }
        let Ok(bytes) = reply.encode() else { continue };
        if out.send(Out::Bytes(bytes)).await.is_err() {
            return;
        }
    }
}

/// 16 unpredictable bytes for a legacy login challenge (std's per-process random hash keys).
fn random_challenge() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16);
    for salt in 0u8..2 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(salt);
        hasher.write_u128(OffsetDateTime::now_utc().unix_timestamp_nanos() as u128);
        bytes.extend_from_slice(&hasher.finish().to_be_bytes());
    }
    bytes
}
