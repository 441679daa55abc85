//! Sentences: words (length prefix + bytes) ended by an empty word; encoding and the incremental,
//! bounded decoder.

use crate::{DecodeError, EncodeError, length};

/// One sentence: its words, without the terminating empty word. Words are bytes; RouterOS does
/// not promise UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sentence {
    pub words: Vec<Vec<u8>>,
}

impl Sentence {
    pub fn new<W: AsRef<[u8]>>(words: impl IntoIterator<Item = W>) -> Self {
        Self {
            words: words.into_iter().map(|w| w.as_ref().to_vec()).collect(),
        }
    }

    /// The words as text, invalid UTF-8 replaced (for messages and logs).
    pub fn words_lossy(&self) -> Vec<String> {
        self.words
            .iter()
            .map(|word| String::from_utf8_lossy(word).into_owned())
            .collect()
    }

    /// The wire bytes of this sentence.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_sentence(&self.words)
    }
}

/// Encodes `words` followed by the terminating empty word. An empty word inside the sentence is
/// an error, since it would end the sentence early.
pub fn encode_sentence<W: AsRef<[u8]>>(words: &[W]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(words.iter().map(|w| w.as_ref().len() + 1).sum::<usize>() + 1);
    for (index, word) in words.iter().enumerate() {
        let word = word.as_ref();
        if word.is_empty() {
            return Err(EncodeError::EmptyWord { index });
        }
        let len =
            u32::try_from(word.len()).map_err(|_| EncodeError::WordTooLong { len: word.len() })?;
        length::encode(len, &mut out);
        out.extend_from_slice(word);
    }
    out.push(0);
    Ok(out)
}

/// Bounds of the [`SentenceDecoder`]: exceeding one is a [`DecodeError`] raised as soon as the
/// length prefix says so, before the bytes are buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest word, bytes.
    pub max_word_bytes: usize,
    /// Largest sentence (sum of its words), bytes.
    pub max_sentence_bytes: usize,
    /// Most words in one sentence.
    pub max_words: usize,
}

impl Default for Limits {
    /// 1 MiB words, 4 MiB sentences, 4096 words: far above what RouterOS sends.
    fn default() -> Self {
        Self {
            max_word_bytes: 1 << 20,
            max_sentence_bytes: 4 << 20,
            max_words: 4096,
        }
    }
}

/// Turns a byte stream into sentences, however the bytes are split: [`feed`](Self::feed) what
/// arrives, then call [`next_sentence`](Self::next_sentence) until it returns `Ok(None)`.
///
/// Empty sentences (a lone empty word) are skipped. After an error the framing of the stream is
/// lost, so every later call returns the same error.
#[derive(Debug, Clone, Default)]
pub struct SentenceDecoder {
    limits: Limits,
    buf: Vec<u8>,
    /// Start of the undecoded bytes in `buf`.
    pos: usize,
    /// Words of the sentence being decoded.
    words: Vec<Vec<u8>>,
    sentence_bytes: usize,
    failed: Option<DecodeError>,
}

impl SentenceDecoder {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Appends bytes read from the stream.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete sentence, `Ok(None)` when more bytes are needed.
    pub fn next_sentence(&mut self) -> Result<Option<Sentence>, DecodeError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        match self.decode() {
            Ok(sentence) => Ok(sentence),
            Err(error) => {
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    /// True when bytes of an unfinished sentence are buffered (a stream that ends now is truncated).
    pub fn has_partial(&self) -> bool {
        !self.words.is_empty() || self.pos < self.buf.len()
    }

    /// Decodes every complete sentence in `bytes`; the flag is true when bytes of an unfinished
    /// sentence remain after them.
    pub fn decode_all(bytes: &[u8], limits: Limits) -> Result<(Vec<Sentence>, bool), DecodeError> {
        let mut decoder = Self::new(limits);
        decoder.feed(bytes);
        let mut sentences = Vec::new();
        while let Some(sentence) = decoder.next_sentence()? {
            sentences.push(sentence);
        }
        Ok((sentences, decoder.has_partial()))
    }

    fn decode(&mut self) -> Result<Option<Sentence>, DecodeError> {
        loop {
            let rest = &self.buf[self.pos..];
            let Some((len, prefix)) = length::decode(rest)? else {
                return Ok(None);
            };
            let too_long = DecodeError::WordTooLong {
                len: u64::from(len),
                max: self.limits.max_word_bytes,
            };
            let len = usize::try_from(len).map_err(|_| too_long.clone())?;
            if len > self.limits.max_word_bytes {
                return Err(too_long);
            }
            if len == 0 {
                self.pos += prefix;
                if self.words.is_empty() {
                    continue;
                }
                self.sentence_bytes = 0;
                let words = std::mem::take(&mut self.words);
                return Ok(Some(Sentence { words }));
            }
            if self.words.len() >= self.limits.max_words {
                return Err(DecodeError::TooManyWords {
                    max: self.limits.max_words,
                });
            }
            if self.sentence_bytes + len > self.limits.max_sentence_bytes {
                return Err(DecodeError::SentenceTooLong {
                    max: self.limits.max_sentence_bytes,
                });
            }
            let Some(word) = rest.get(prefix..prefix + len) else {
                return Ok(None);
            };
            self.words.push(word.to_vec());
            self.pos += prefix + len;
            self.sentence_bytes += len;
        }
    }
}
