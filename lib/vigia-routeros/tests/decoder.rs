//! The incremental sentence decoder: hand-written bytes, arbitrary splits, limits and garbage.

use vigia_routeros::{
    DecodeError, EncodeError, Limits, Sentence, SentenceDecoder, encode_sentence,
};

/// `!re =name=joao` then `!done`, written out by hand.
const TWO_SENTENCES: &[u8] = b"\x03!re\x0a=name=joao\x00\x05!done\x00";

fn sentence(words: &[&str]) -> Sentence {
    Sentence::new(words)
}

fn drain(decoder: &mut SentenceDecoder) -> Vec<Sentence> {
    let mut out = Vec::new();
    while let Some(sentence) = decoder.next_sentence().unwrap() {
        out.push(sentence);
    }
    out
}

#[test]
fn hand_written_bytes_decode_and_encode_identically() {
    let (sentences, partial) =
        SentenceDecoder::decode_all(TWO_SENTENCES, Limits::default()).unwrap();
    assert_eq!(
        sentences,
        vec![sentence(&["!re", "=name=joao"]), sentence(&["!done"])]
    );
    assert!(!partial);
    let mut encoded = encode_sentence(&["!re", "=name=joao"]).unwrap();
    encoded.extend(sentence(&["!done"]).encode().unwrap());
    assert_eq!(encoded, TWO_SENTENCES);
}

#[test]
fn one_byte_at_a_time_gives_the_same_sentences() {
    let long = "x".repeat(0x4000); // a 3-byte length prefix
    let mut stream = encode_sentence(&["!re", &format!("=comment={long}"), ".tag=9"]).unwrap();
    stream.extend_from_slice(TWO_SENTENCES);
    let mut decoder = SentenceDecoder::default();
    let mut got = Vec::new();
    for byte in &stream {
        decoder.feed(std::slice::from_ref(byte));
        got.extend(drain(&mut decoder));
    }
    assert!(!decoder.has_partial());
    assert_eq!(
        got,
        vec![
            sentence(&["!re", &format!("=comment={long}"), ".tag=9"]),
            sentence(&["!re", "=name=joao"]),
            sentence(&["!done"]),
        ]
    );
}

#[test]
fn every_split_point_of_a_stream_decodes_the_same() {
    for cut in 0..=TWO_SENTENCES.len() {
        let mut decoder = SentenceDecoder::default();
        decoder.feed(&TWO_SENTENCES[..cut]);
        let mut got = drain(&mut decoder);
        decoder.feed(&TWO_SENTENCES[cut..]);
        got.extend(drain(&mut decoder));
        assert_eq!(got.len(), 2, "cut at {cut}");
        assert_eq!(got[1], sentence(&["!done"]), "cut at {cut}");
    }
}

#[test]
fn a_stream_ending_inside_a_sentence_is_partial() {
    let mut decoder = SentenceDecoder::default();
    decoder.feed(&TWO_SENTENCES[..8]); // inside `=name=joao`
    assert_eq!(decoder.next_sentence(), Ok(None));
    assert!(decoder.has_partial());
    let mut decoder = SentenceDecoder::default();
    decoder.feed(&TWO_SENTENCES[..15]); // after the word, before its sentence's end
    assert_eq!(decoder.next_sentence(), Ok(None));
    assert!(decoder.has_partial());
    let (_, partial) = SentenceDecoder::decode_all(&TWO_SENTENCES[..5], Limits::default()).unwrap();
    assert!(partial);
}

#[test]
fn empty_sentences_are_skipped() {
    let (sentences, _) =
        SentenceDecoder::decode_all(b"\x00\x00\x05!done\x00\x00", Limits::default()).unwrap();
    assert_eq!(sentences, vec![sentence(&["!done"])]);
}

#[test]
fn a_word_over_the_limit_fails_from_its_prefix_alone() {
    let limits = Limits {
        max_word_bytes: 100,
        ..Limits::default()
    };
    let mut decoder = SentenceDecoder::new(limits);
    decoder.feed(&[0xF0, 0x7F, 0xFF, 0xFF, 0xFF]); // announces ~2 GiB, sends nothing
    assert_eq!(
        decoder.next_sentence(),
        Err(DecodeError::WordTooLong {
            len: 0x7FFF_FFFF,
            max: 100
        })
    );
}

#[test]
fn sentence_size_and_word_count_are_bounded() {
    let limits = Limits {
        max_word_bytes: 10,
        max_sentence_bytes: 12,
        max_words: 3,
    };
    let bytes = encode_sentence(&["!re", "=a=123456", "=b=1"]).unwrap();
    let error = SentenceDecoder::decode_all(&bytes, limits).unwrap_err();
    assert_eq!(error, DecodeError::SentenceTooLong { max: 12 });
    let bytes = encode_sentence(&["!re", "=a", "=b", "=c"]).unwrap();
    let error = SentenceDecoder::decode_all(&bytes, limits).unwrap_err();
    assert_eq!(error, DecodeError::TooManyWords { max: 3 });
    assert_eq!(error.to_string(), "sentence exceeds the limit of 3 words");
    // The limits count per sentence: the same words split over two sentences pass.
    let mut bytes = encode_sentence(&["!re", "=a=1234"]).unwrap();
    bytes.extend(encode_sentence(&["!re", "=b=1234"]).unwrap());
    assert_eq!(
        SentenceDecoder::decode_all(&bytes, limits).unwrap().0.len(),
        2
    );
}

#[test]
fn garbage_is_an_error_that_sticks() {
    let mut decoder = SentenceDecoder::default();
    decoder.feed(b"\x05!done\x00\xFFgarbage");
    assert_eq!(decoder.next_sentence(), Ok(Some(sentence(&["!done"]))));
    assert_eq!(decoder.next_sentence(), Err(DecodeError::ControlByte(0xFF)));
    decoder.feed(b"\x05!done\x00");
    assert_eq!(decoder.next_sentence(), Err(DecodeError::ControlByte(0xFF)));
    let error = SentenceDecoder::decode_all(b"\x03!re\xF3", Limits::default()).unwrap_err();
    assert_eq!(error, DecodeError::InvalidLengthPrefix(0xF3));
}

#[test]
fn non_utf8_words_pass_through_as_bytes() {
    let bytes = b"\x03!re\x0a=comment=\xE9\x00";
    let (sentences, _) = SentenceDecoder::decode_all(bytes, Limits::default()).unwrap();
    assert_eq!(sentences[0].words[1], b"=comment=\xE9");
    assert_eq!(sentences[0].words_lossy()[1], "=comment=\u{FFFD}");
}

#[test]
fn empty_words_cannot_be_encoded_inside_a_sentence() {
    assert_eq!(
        encode_sentence(&["/print", ""]),
        Err(EncodeError::EmptyWord { index: 1 })
    );
    assert_eq!(encode_sentence::<&str>(&[]), Ok(vec![0]));
}
