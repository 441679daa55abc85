//! A bare RouterOS API client for the tests: requests out, replies in, every read bounded.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigia_routeros::{Reply, ReplyKind, Request, SentenceDecoder};

/// How long any one reply may take before the test fails.
pub const REPLY_WAIT: Duration = Duration::from_secs(5);

pub struct Client {
    stream: TcpStream,
    decoder: SentenceDecoder,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("the router accepts");
        Self {
            stream,
            decoder: SentenceDecoder::default(),
        }
    }

    pub async fn send(&mut self, request: &Request) {
        let bytes = request.encode().expect("the request encodes");
        self.send_raw(&bytes).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .await
            .expect("the write goes out");
    }

    /// The next reply, `None` when the router closed the connection; waits at most `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Result<Option<Reply>, &'static str> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(sentence) = self
                .decoder
                .next_sentence()
                .expect("the router's bytes decode")
            {
                return Ok(Some(Reply::parse(&sentence).expect("a reply")));
            }
            let mut buf = [0u8; 8192];
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await;
            match read {
                Err(_) => return Err("no reply in time"),
                Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
                Ok(Ok(n)) => self.decoder.feed(&buf[..n]),
            }
        }
    }

    /// The next reply; the test fails when none comes within [`REPLY_WAIT`] or the router closes.
    pub async fn next(&mut self) -> Reply {
        self.next_within(REPLY_WAIT)
            .await
            .expect("a reply in time")
            .expect("the connection stays open")
    }

    /// Sends `request` and collects replies up to its `!done` (the one with its tag, if any).
    pub async fn call(&mut self, request: Request) -> Vec<Reply> {
        let tag = request.tag.clone();
        self.send(&request).await;
        let mut replies = Vec::new();
        loop {
            let reply = self.next().await;
            let done = reply.kind == ReplyKind::Done && reply.tag == tag;
            replies.push(reply);
            if done {
                return replies;
            }
        }
    }

    /// Logs in with the current form; panics unless it is accepted.
    pub async fn login(&mut self, user: &str, password: &str) {
        let replies = self
            .call(vigia_routeros::login::request(user, password))
            .await;
        assert_eq!(kinds(&replies), [ReplyKind::Done], "login: {replies:?}");
    }

    /// True when the router closes the connection within [`REPLY_WAIT`] (replies before it are
    /// returned in `seen`).
    pub async fn closes(&mut self, seen: &mut Vec<Reply>) -> bool {
        loop {
            match self.next_within(REPLY_WAIT).await {
                Ok(Some(reply)) => seen.push(reply),
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }
}

pub fn kinds(replies: &[Reply]) -> Vec<ReplyKind> {
    replies.iter().map(|r| r.kind).collect()
}
