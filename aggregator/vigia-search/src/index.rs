//! The immutable index and its build.

use crate::form::{SPACES, Space, value_forms};
use crate::normalise::normalise_into;
use crate::{Field, SearchDoc};

/// Entry references carry the space in their top 2 bits.
pub(crate) const ENTRY_BITS: u32 = 30;
const MAX_ENTRIES: usize = 1 << ENTRY_BITS;
/// Separates forms in a haystack; never part of a normalised form.
const SEPARATOR: u8 = b'\n';

/// Why an index could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The normalised text outgrew the 32-bit offsets (about 4 GiB per form kind).
    #[error("index too large: more than {max} bytes or entries of normalised text")]
    TooLarge { max: u64 },
    /// One document has more values than a document can hold.
    #[error("document {id} has {values} values, at most {max}")]
    TooManyValues {
        id: String,
        values: usize,
        max: usize,
    },
}

/// An immutable search index; see the crate documentation. Cheap to share (`Send + Sync`).
#[derive(Default)]
pub struct Index {
    /// Sorted by id, ids unique; the position is the document number.
    pub(crate) docs: Vec<SearchDoc>,
    pub(crate) haystacks: [Haystack; 4],
}

impl std::fmt::Debug for Index {
    /// Sizes only: the content of 100,000 subscribers does not belong in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("docs", &self.len())
            .field("memory_bytes", &self.memory_bytes())
            .finish()
    }
}

/// Every form of one space, concatenated, each followed by [`SEPARATOR`].
#[derive(Debug, Default)]
pub(crate) struct Haystack {
    pub buf: Vec<u8>,
    /// Where each form starts, in buffer (and document) order, plus a sentinel `buf.len()`.
    /// Kept apart from [`Entry`] so the walk from an occurrence to its form reads 4 bytes a form.
    pub starts: Vec<u32>,
    /// One per form (no sentinel).
    pub entries: Vec<Entry>,
    /// `entries[doc_first[d]..doc_first[d + 1]]` are document `d`'s forms.
    pub doc_first: Vec<u32>,
    /// `blocks[p >> BLOCK_SHIFT]` is the form holding buffer byte `p & !(BLOCK - 1)`: long
    /// jumps between occurrences cost one read instead of a walk or a binary search.
    pub blocks: Vec<u32>,
}

pub(crate) const BLOCK_SHIFT: u32 = 8;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub doc: u32,
    /// Index into the document's `fields`.
    pub slot: u16,
    pub field: Field,
}

impl Haystack {
    /// The form of entry `i`.
    pub(crate) fn form(&self, i: usize) -> &[u8] {
        let start = self.starts[i] as usize;
        let end = self.starts[i + 1] as usize - 1;
        &self.buf[start..end]
    }

    fn push(&mut self, form: &str, doc: u32, slot: u16, field: Field) -> Result<(), BuildError> {
        let too_large = BuildError::TooLarge {
            max: u64::from(u32::MAX),
        };
        let start = u32::try_from(self.buf.len()).map_err(|_| too_large.clone())?;
        if self.entries.len() + 1 >= MAX_ENTRIES {
            return Err(too_large);
        }
        self.buf.extend_from_slice(form.as_bytes());
        self.buf.push(SEPARATOR);
        self.starts.push(start);
        self.entries.push(Entry { doc, slot, field });
        Ok(())
    }

    fn mark_doc(&mut self) {
        // entries.len() < MAX_ENTRIES, checked in push.
        self.doc_first.push(self.entries.len() as u32);
    }

    fn finish(&mut self) -> Result<(), BuildError> {
        let end = u32::try_from(self.buf.len()).map_err(|_| BuildError::TooLarge {
            max: u64::from(u32::MAX),
        })?;
        self.mark_doc();
        self.starts.push(end);
        let blocks = (self.buf.len() >> BLOCK_SHIFT) + 1;
        self.blocks = Vec::with_capacity(blocks);
        let mut i = 0usize;
        for b in 0..blocks {
            let at = (b << BLOCK_SHIFT) as u32;
            while i + 1 < self.entries.len() && self.starts[i + 1] <= at {
                i += 1;
            }
            // entries.len() < MAX_ENTRIES, checked in push.
            self.blocks.push(i as u32);
        }
        self.buf.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.doc_first.shrink_to_fit();
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        self.buf.capacity()
            + self.starts.capacity() * size_of::<u32>()
            + self.entries.capacity() * size_of::<Entry>()
            + self.doc_first.capacity() * size_of::<u32>()
            + self.blocks.capacity() * size_of::<u32>()
    }
}

/// Reserves about what the forms will take, so the buffers are not regrown and copied.
fn reserve(haystacks: &mut [Haystack; 4], docs: &[SearchDoc]) {
    let mut bytes = [0usize; 4];
    let mut forms = [0usize; 4];
    for (field, value) in docs.iter().flat_map(|d| d.fields.iter()) {
        let (space, copies) = match field {
            Field::Login | Field::OnuSerial => (Space::Text, 2),
            Field::Name | Field::Address | Field::Other => (Space::Text, 1),
            Field::Document => (Space::Digits, 1),
            Field::Mac => (Space::Hex, 1),
            Field::Ip => (Space::Ip, 1),
        };
        bytes[space as usize] += copies * (value.len() + 1);
        forms[space as usize] += copies;
    }
    for (i, h) in haystacks.iter_mut().enumerate() {
        h.buf.reserve(bytes[i]);
        h.starts.reserve(forms[i] + 1);
        h.entries.reserve(forms[i]);
        h.doc_first.reserve(docs.len() + 1);
    }
}

impl Index {
    /// Builds an index. Documents with the same id are merged (their values appended in input
    /// order); values that normalise to nothing are not searchable.
    pub fn build(docs: impl IntoIterator<Item = SearchDoc>) -> Result<Index, BuildError> {
        let mut docs: Vec<SearchDoc> = docs.into_iter().collect();
        docs.sort_by(|a, b| a.id.cmp(&b.id));
        let mut merged: Vec<SearchDoc> = Vec::with_capacity(docs.len());
        for doc in docs {
            match merged.last_mut() {
                Some(last) if last.id == doc.id => last.fields.extend(doc.fields),
                _ => merged.push(doc),
            }
        }
        if merged.len() >= MAX_ENTRIES {
            return Err(BuildError::TooLarge {
                max: MAX_ENTRIES as u64,
            });
        }
        let mut haystacks: [Haystack; 4] = Default::default();
        reserve(&mut haystacks, &merged);
        let mut text = String::new();
        let mut scratch = String::new();
        let mut failed = None;
        for (d, doc) in merged.iter().enumerate() {
            let d = d as u32; // < MAX_ENTRIES, checked above
            for h in &mut haystacks {
                h.mark_doc();
            }
            if doc.fields.len() > usize::from(u16::MAX) {
                return Err(BuildError::TooManyValues {
                    id: doc.id.clone(),
                    values: doc.fields.len(),
                    max: usize::from(u16::MAX),
                });
            }
            for (slot, (field, value)) in doc.fields.iter().enumerate() {
                normalise_into(&mut text, value);
                value_forms(*field, value, &text, &mut scratch, |space, form| {
                    if form.is_empty() || failed.is_some() {
                        return;
                    }
                    let h = &mut haystacks[space as usize];
                    if let Err(e) = h.push(form, d, slot as u16, *field) {
                        failed = Some(e);
                    }
                });
            }
            if let Some(e) = failed {
                return Err(e);
            }
        }
        for h in &mut haystacks {
            h.finish()?;
        }
        Ok(Index {
            docs: merged,
            haystacks,
        })
    }

    /// Number of documents (after merging equal ids).
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Approximate heap memory held by the index, for metrics.
    pub fn memory_bytes(&self) -> usize {
        let docs: usize = self
            .docs
            .iter()
            .map(|d| {
                d.id.capacity()
                    + d.fields.capacity() * size_of::<(Field, String)>()
                    + d.fields.iter().map(|(_, v)| v.capacity()).sum::<usize>()
            })
            .sum();
        docs + self.docs.capacity() * size_of::<SearchDoc>()
            + SPACES
                .iter()
                .map(|&s| self.haystack(s).memory_bytes())
                .sum::<usize>()
    }

    pub(crate) fn haystack(&self, space: Space) -> &Haystack {
        &self.haystacks[space as usize]
    }
}
