//! Query execution: scan, verify, rank, page.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use memchr::memmem::Finder;

use crate::form::{SPACES, Space, TermForms};
use crate::index::{BLOCK_SHIFT, ENTRY_BITS, Index};
use crate::query::{MAX_LIMIT, Query, QueryError};
use crate::rank::{classify, entry_ref, key, pack, score, tier, tier_of};
use crate::{Hit, Results};

/// A term's forms with their searchers built once per query.
struct Matcher<'q> {
    forms: Vec<(Space, Finder<'q>)>,
}

impl<'q> Matcher<'q> {
    fn new(term: &'q TermForms) -> Matcher<'q> {
        let forms = term
            .forms
            .iter()
            .map(|(space, form)| (*space, Finder::new(form.as_bytes())))
            .collect();
        Matcher { forms }
    }
}

impl Index {
    /// Ranked subscribers matching `query`: `limit` (clamped to `1..=100`) hits from `offset`
    /// on, and the total count. Deterministic for the same index.
    pub fn search(&self, query: &str, offset: usize, limit: usize) -> Result<Results, QueryError> {
        let query = Query::parse(query)?;
        let limit = limit.clamp(1, MAX_LIMIT);
        let matchers: Vec<Matcher<'_>> = query.terms.iter().map(Matcher::new).collect();
        let phrase = query.phrase.as_ref().map(Matcher::new);

        // Best match of the scan term per document, and the documents it touched.
        let mut best = vec![0u64; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (space, finder) in &matchers[query.scan].forms {
            self.scan(*space, finder, &mut best, &mut touched);
        }

        let wanted = offset.saturating_add(limit);
        let mut top: BinaryHeap<Reverse<(u64, u64)>> =
            BinaryHeap::with_capacity(wanted.min(touched.len()));
        let mut total = 0;
        'docs: for &doc in &touched {
            let scanned = best[doc as usize];
            let mut headline = scanned;
            let mut tier_sum = tier_of(scanned);
            for (i, m) in matchers.iter().enumerate() {
                if i == query.scan {
                    continue;
                }
                let found = self.best_in_doc(doc, m);
                if found == 0 {
                    continue 'docs;
                }
                tier_sum += tier_of(found);
                headline = headline.max(found);
            }
            let phrase_found = match &phrase {
                Some(p) => self.best_in_doc(doc, p),
                None => 0,
            };
            // On a tie the phrase is the better headline ("João Silva Melo" for "joao silva").
            if tier_of(phrase_found) >= tier_of(headline) {
                headline = phrase_found;
            }
            total += 1;
            let entry = (key(score(headline, phrase_found, tier_sum), doc), headline);
            if top.len() < wanted {
                top.push(Reverse(entry));
            } else if top.peek().is_some_and(|Reverse(min)| entry > *min) {
                top.pop();
                top.push(Reverse(entry));
            }
        }

        let mut ranked: Vec<(u64, u64)> = top.into_iter().map(|Reverse(e)| e).collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        let hits = ranked
            .into_iter()
            .skip(offset)
            .filter_map(|(key, headline)| self.hit((key >> 32) as u32, headline))
            .collect();
        Ok(Results { total, hits })
    }

    /// Scans one space for a form, keeping each document's best match in `best`.
    fn scan(&self, space: Space, finder: &Finder<'_>, best: &mut [u64], touched: &mut Vec<u32>) {
        let h = self.haystack(space);
        let starts = &h.starts;
        let needle_len = finder.needle().len();
        let space_bits = (space as u32) << ENTRY_BITS;
        // Form i holds the current occurrence; the sentinel start is past every one.
        let mut i = 0usize;
        for pos in finder.find_iter(&h.buf) {
            let pos32 = pos as u32;
            if starts[i + 1] <= pos32 {
                if pos32 - starts[i] > 1 << BLOCK_SHIFT {
                    i = i.max(h.blocks[pos >> BLOCK_SHIFT] as usize);
                }
                while starts[i + 1] <= pos32 {
                    i += 1;
                }
            }
            let e = h.entries[i];
            let value = h.form(i);
            let kind = classify(value, (pos32 - starts[i]) as usize, needle_len);
            let found = pack(tier(e.field, kind), value.len(), space_bits | i as u32);
            let slot = &mut best[e.doc as usize];
            if *slot == 0 {
                touched.push(e.doc);
            }
            *slot = (*slot).max(found);
        }
    }

    /// The best match of a term in one document, 0 if none. A document's forms are contiguous
    /// in each haystack, so this is one short pass per space; memmem's per-call setup costs
    /// more than the search on spans this small.
    fn best_in_doc(&self, doc: u32, m: &Matcher<'_>) -> u64 {
        let mut best = 0;
        for (space, finder) in &m.forms {
            let h = self.haystack(*space);
            let needle = finder.needle();
            let (Some(&first_byte), Some(&first), Some(&end)) = (
                needle.first(),
                h.doc_first.get(doc as usize),
                h.doc_first.get(doc as usize + 1),
            ) else {
                continue;
            };
            let (first, end) = (first as usize, end as usize);
            if first == end {
                continue;
            }
            let span_start = h.starts[first] as usize;
            let span = &h.buf[span_start..h.starts[end] as usize];
            let space_bits = (*space as u32) << ENTRY_BITS;
            let mut i = first;
            for p in memchr::memchr_iter(first_byte, span) {
                if !span[p..].starts_with(needle) {
                    continue;
                }
                // The needle holds no separator, so it lies inside one form.
                let pos = (span_start + p) as u32;
                while h.starts[i + 1] <= pos {
                    i += 1;
                }
                let e = h.entries[i];
                let value = h.form(i);
                let kind = classify(value, (pos - h.starts[i]) as usize, needle.len());
                best = best.max(pack(
                    tier(e.field, kind),
                    value.len(),
                    space_bits | i as u32,
                ));
            }
        }
        best
    }

    fn hit(&self, score: u32, headline: u64) -> Option<Hit> {
        let r = entry_ref(headline);
        let space = SPACES.get((r >> ENTRY_BITS) as usize)?;
        let e = self
            .haystack(*space)
            .entries
            .get((r & ((1 << ENTRY_BITS) - 1)) as usize)?;
        let doc = self.docs.get(e.doc as usize)?;
        let (field, value) = doc.fields.get(usize::from(e.slot))?;
        Some(Hit {
            id: doc.id.clone(),
            score,
            field: *field,
            value: value.clone(),
        })
    }
}
