//! Unit tests: configuration validation, negotiation order, and the codings' round trips.
use bytes::BytesMut;

use super::*;

fn names(c: &Compression, accept: &str) -> Vec<String> {
    let accepted = negotiate::parse(&[accept.parse().unwrap()]).unwrap();
    negotiate::candidates(&accepted, &c.settings.encoders)
        .into_iter()
        .map(|i| {
            c.settings
                .encoders
                .get(i)
                .map_or("identity".to_owned(), |e| e.name.clone())
        })
        .collect()
}

#[test]
fn level_out_of_range_names_the_key() {
    let err = Compression::configure(|cfg| {
        cfg.zstd(|cfg| {
            cfg.level(40);
        });
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Compression.zstd.level: 40 is not in 1..=22"
    );
}

#[test]
fn compression_level_is_an_alias_of_level() {
    let err = Compression::configure(|cfg| {
        cfg.gzip(|cfg| {
            cfg.compression_level(10);
        });
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Compression.gzip.level: 10 is not in 0..=9"
    );
}

#[test]
fn registering_a_coding_twice_is_an_error() {
    let err = Compression::configure(|cfg| {
        cfg.gzip(|_| {}).gzip(|_| {});
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Compression.gzip: encoder `gzip` is already registered"
    );
}

#[test]
fn a_level_on_a_coding_without_levels_is_an_error() {
    let err = Compression::configure(|cfg| {
        cfg.identity(|cfg| {
            cfg.level(1);
        });
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Compression.identity.level: `identity` has no compression levels"
    );
}

#[test]
fn a_non_finite_priority_is_an_error() {
    let err = Compression::configure(|cfg| {
        cfg.gzip(|cfg| {
            cfg.priority(f64::NAN);
        });
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Compression.gzip.priority: NaN is not a finite number"
    );
}

#[test]
fn a_bad_media_range_names_the_key() {
    let err = Compression::configure(|cfg| {
        cfg.gzip(|cfg| {
            cfg.match_content_type("text");
        });
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Compression.gzip.match_content_type: `text` is not a media type like `text/*`"
    );
}

#[test]
fn client_quality_wins_over_priority() {
    let c = Compression::configure(|cfg| {
        cfg.gzip(|_| {}).deflate(|_| {}).zstd(|_| {});
    })
    .unwrap();
    assert_eq!(names(&c, "gzip;q=1,zstd;q=0.5,deflate;q=0.1")[0], "gzip");
    assert_eq!(names(&c, "gzip;q=0.1,zstd;q=0.5,deflate;q=1")[0], "deflate");
    assert_eq!(names(&c, "gzip;q=0.1,zstd;q=1,deflate;q=0.2")[0], "zstd");
}

#[test]
fn priority_breaks_ties_then_client_order() {
    let c = Compression::configure(|cfg| {
        cfg.gzip(|cfg| {
            cfg.priority(1.0);
        })
        .deflate(|cfg| {
            cfg.priority(10.0);
        });
    })
    .unwrap();
    assert_eq!(names(&c, "gzip,deflate"), ["deflate", "gzip"]);
    let c = Compression::configure(|cfg| {
        cfg.zstd(|_| {}).gzip(|_| {});
    })
    .unwrap();
    assert_eq!(names(&c, "gzip, zstd"), ["gzip", "zstd"]);
    assert_eq!(names(&c, "zstd, gzip"), ["zstd", "gzip"]);
}

#[test]
fn q_zero_forbids_and_star_covers_the_rest() {
    let c = Compression::configure(|cfg| {
        cfg.zstd(|_| {}).gzip(|_| {}).deflate(|_| {});
    })
    .unwrap();
    assert_eq!(names(&c, "gzip;q=0"), Vec::<String>::new());
    assert_eq!(names(&c, "*, gzip;q=0"), ["zstd", "deflate"]);
    assert_eq!(names(&c, "*;q=0, deflate"), ["deflate"]);
    // `*` resolves by priority, then registration order: deterministic.
    assert_eq!(names(&c, "*"), ["zstd", "gzip", "deflate"]);
}

#[test]
fn identity_competes_only_when_named() {
    let c = Compression::configure(|cfg| {
        cfg.gzip(|_| {});
    })
    .unwrap();
    assert_eq!(names(&c, "identity, gzip"), ["identity", "gzip"]);
    assert_eq!(names(&c, "gzip;q=0.5, identity"), ["identity", "gzip"]);
    assert_eq!(names(&c, "gzip"), ["gzip"]);
}

fn round_trip(encoder: &dyn ContentEncoder, chunks: &[&[u8]]) -> Vec<u8> {
    let mut enc = encoder.encoder(encoder.default_level());
    let mut wire = BytesMut::new();
    for chunk in chunks {
        enc.encode(chunk, &mut wire).unwrap();
        enc.flush(&mut wire).unwrap();
    }
    enc.finish(&mut wire).unwrap();
    let mut dec = encoder.decoder().unwrap();
    let mut out = Vec::new();
    let mut input = &wire[..];
    let mut buf = [0u8; 1000];
    loop {
        let p = dec.decode(input, &mut buf).unwrap();
        input = &input[p.read..];
        out.extend_from_slice(&buf[..p.written]);
        if p.ended && input.is_empty() {
            break;
        }
        assert!(p.read > 0 || p.written > 0, "no progress");
    }
    out
}

#[test]
fn every_builtin_coding_round_trips_a_flushed_stream() {
    let text = "text to be compressed\n".repeat(100);
    let chunks: Vec<&[u8]> = text.as_bytes().chunks(700).collect();
    let mut codings: Vec<Box<dyn ContentEncoder>> = Vec::new();
    #[cfg(feature = "compression-zstd")]
    codings.push(Box::new(Zstd));
    #[cfg(feature = "compression-gzip")]
    codings.push(Box::new(Gzip));
    #[cfg(feature = "compression-gzip")]
    codings.push(Box::new(Deflate));
    #[cfg(feature = "compression-br")]
    codings.push(Box::new(Brotli));
    for coding in &codings {
        assert_eq!(round_trip(coding.as_ref(), &chunks), text.as_bytes());
    }
}

#[cfg(feature = "compression-gzip")]
#[test]
fn deflate_is_zlib_wrapped() {
    let mut enc = Deflate.encoder(None);
    let mut wire = BytesMut::new();
    enc.encode(b"hello", &mut wire).unwrap();
    enc.finish(&mut wire).unwrap();
    // RFC 1950 header: CM = 8 and the check bits make CMF*256+FLG a multiple of 31.
    assert_eq!(wire[0] & 0x0f, 8);
    assert_eq!((u16::from(wire[0]) << 8 | u16::from(wire[1])) % 31, 0);
}

#[test]
fn zstd_contexts_are_reused_across_bodies_of_any_length() {
    let text = "text to be compressed\n".repeat(100);
    for len in [Some(text.len() as u64), None, Some(text.len() as u64), None] {
        // A stream abandoned mid-frame must not leak into the next one that reuses its context.
        let mut abandoned = Zstd.encoder_for_length(Some(3), len);
        abandoned
            .encode(b"half a body", &mut BytesMut::new())
            .unwrap();
        drop(abandoned);
        let mut enc = Zstd.encoder_for_length(Some(3), len);
        let mut wire = BytesMut::new();
        enc.encode(text.as_bytes(), &mut wire).unwrap();
        enc.flush(&mut wire).unwrap();
        enc.finish(&mut wire).unwrap();
        assert_eq!(
            zstd::stream::decode_all(&wire[..]).unwrap(),
            text.as_bytes()
        );
    }
}

#[test]
fn zstd_body_longer_than_declared_is_an_error() {
    let mut enc = Zstd.encoder_for_length(Some(3), Some(4));
    let mut wire = BytesMut::new();
    let res = enc
        .encode(b"more than four bytes", &mut wire)
        .and_then(|()| enc.finish(&mut wire));
    assert!(res.is_err());
}
