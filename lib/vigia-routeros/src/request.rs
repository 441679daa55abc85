//! [`Request`]: a command sentence, built by clients and parsed back by servers.

use crate::{EncodeError, Query, RequestError, Sentence, encode_sentence};

/// A command with its attributes, `.proplist`, queries and `.tag`.
///
/// Words go out in this order: command, attributes, `=.proplist=`, queries, `.tag=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `/ppp/active/print`.
    pub command: String,
    /// `=name=value` words, in order (`.proplist` is kept apart).
    pub attributes: Vec<(String, String)>,
    /// The properties to return (`=.proplist=a,b`), when restricted.
    pub proplist: Option<Vec<String>>,
    pub queries: Vec<Query>,
    pub tag: Option<String>,
}

impl Request {
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    #[must_use]
    pub fn proplist<S: Into<String>>(mut self, properties: impl IntoIterator<Item = S>) -> Self {
        self.proplist = Some(properties.into_iter().map(Into::into).collect());
        self
    }

    #[must_use]
    pub fn query(mut self, query: Query) -> Self {
        self.queries.push(query);
        self
    }

    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The value of attribute `name` (the first one, when repeated).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The words of the sentence.
    pub fn words(&self) -> Vec<String> {
        let mut words = vec![self.command.clone()];
        words.extend(self.attributes.iter().map(|(k, v)| format!("={k}={v}")));
        if let Some(properties) = &self.proplist {
            words.push(format!("=.proplist={}", properties.join(",")));
        }
        words.extend(self.queries.iter().map(Query::word));
        if let Some(tag) = &self.tag {
            words.push(format!(".tag={tag}"));
        }
        words
    }

    /// The wire bytes (an empty command is an error).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_sentence(&self.words())
    }

    /// Reads a request sentence back (server side). `=name` without a second `=` is the
    /// attribute `name` with an empty value; an empty `.proplist` means "no restriction".
    pub fn parse(sentence: &Sentence) -> Result<Self, RequestError> {
        let mut words = sentence.words.iter().map(|word| {
            String::from_utf8(word.clone())
                .map_err(|_| RequestError::NotUtf8(String::from_utf8_lossy(word).into_owned()))
        });
        let command = words.next().ok_or(RequestError::Empty)??;
        if !command.starts_with('/') {
            return Err(RequestError::NotACommand(command));
        }
        let mut request = Self::new(command);
        for word in words {
            let word = word?;
            if let Some(attribute) = word.strip_prefix('=') {
                let (name, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                if name == ".proplist" {
                    request.proplist =
                        (!value.is_empty()).then(|| value.split(',').map(str::to_owned).collect());
                } else {
                    request.attributes.push((name.to_owned(), value.to_owned()));
                }
            } else if let Some(tag) = word.strip_prefix(".tag=") {
                request.tag = Some(tag.to_owned());
            } else if let Some(query) = Query::parse(&word) {
                request.queries.push(query);
            } else {
                return Err(RequestError::UnexpectedWord(word));
            }
        }
        Ok(request)
    }
}
