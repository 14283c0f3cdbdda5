//! Challenge → response → verdict, on a virtual clock.

use sbcctl_registrar::digest::{
    Algorithm, AuthOutcome, ChallengeCause, Challenger, ChallengerConfig, Credential,
    ForbiddenReason, ResponseInput, ha1, response,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const REALM: &str = "sbc.example.com";
const URI: &str = "sip:sbc.example.com";

fn users() -> HashMap<String, Credential> {
    let mut m = HashMap::new();
    m.insert("alice".to_owned(), Credential::Plain("wonderland".into()));
    m.insert(
        "bob".to_owned(),
        Credential::Ha1 {
            md5: Some(
                ha1(Algorithm::Md5.hash(), "bob", REALM, "builder")
                    .as_str()
                    .to_owned(),
            ),
            sha256: Some(
                ha1(Algorithm::Sha256.hash(), "bob", REALM, "builder")
                    .as_str()
                    .to_owned(),
            ),
        },
    );
    m.insert(
        "carol".to_owned(),
        Credential::Ha1 {
            md5: None,
            sha256: Some(
                ha1(Algorithm::Sha256.hash(), "carol", REALM, "pw")
                    .as_str()
                    .to_owned(),
            ),
        },
    );
    m
}

fn challenger(t0: Instant) -> Challenger {
    Challenger::new(ChallengerConfig::new(REALM), [7u8; 32], t0)
}

/// Pulls `name=value` or `name="value"` out of a challenge (test helper only).
fn param(challenge: &str, name: &str) -> Option<String> {
    let key = format!("{name}=");
    let start = challenge.find(&key)? + key.len();
    let rest = &challenge[start..];
    if let Some(q) = rest.strip_prefix('"') {
        Some(q[..q.find('"')?].to_owned())
    } else {
        Some(rest.split([',', ' ']).next()?.to_owned())
    }
}

/// What a UA would send for `challenge` with `password`.
fn answer(challenge: &str, user: &str, password: &str, nc: u32) -> String {
    let alg = Algorithm::from_token(&param(challenge, "algorithm").expect("algorithm"))
        .expect("known algorithm");
    let nonce = param(challenge, "nonce").expect("nonce");
    let realm = param(challenge, "realm").expect("realm");
    answer_with(alg, &realm, &nonce, user, password, nc)
}

fn answer_with(
    alg: Algorithm,
    realm: &str,
    nonce: &str,
    user: &str,
    password: &str,
    nc: u32,
) -> String {
    let nc = format!("{nc:08x}");
    let cnonce = "0a4f113b";
    let base = ha1(alg.hash(), user, realm, password);
    let r = response(
        alg,
        &base,
        &ResponseInput {
            method: "REGISTER",
            uri: URI,
            nonce,
            nc: &nc,
            cnonce,
            qop: "auth",
        },
    );
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{URI}\", \
         response=\"{}\", algorithm={}, cnonce=\"{cnonce}\", qop=auth, nc={nc}",
        r.as_str(),
        alg.token()
    )
}

fn pick(challenges: &[String], alg: Algorithm) -> &str {
    challenges
        .iter()
        .find(|c| {
            c.ends_with(&format!("algorithm={}", alg.token()))
                || c.contains(&format!("algorithm={},", alg.token()))
        })
        .map(String::as_str)
        .expect("challenge for algorithm")
}

#[test]
fn challenges_follow_the_configured_order() {
    let t0 = Instant::now();
    let mut cfg = ChallengerConfig::new(REALM);
    cfg.algorithms = vec![Algorithm::Md5, Algorithm::Sha256];
    cfg.opaque = Some("op\"aque".into());
    let c = Challenger::new(cfg, [1u8; 32], t0);
    let ch = c.challenges(t0, false);
    assert_eq!(ch.len(), 2);
    assert!(ch[0].starts_with("Digest realm=\"sbc.example.com\""));
    // MD5 first as configured: browser stacks answer only the first challenge.
    assert!(ch[0].ends_with("qop=\"auth\", algorithm=MD5"), "{}", ch[0]);
    assert!(
        ch[1].ends_with("qop=\"auth\", algorithm=SHA-256"),
        "{}",
        ch[1]
    );
    let default_order = Challenger::new(ChallengerConfig::new(REALM), [1u8; 32], t0);
    assert!(default_order.challenges(t0, false)[0].ends_with("algorithm=SHA-256"));
    assert!(ch[0].contains("opaque=\"op\\\"aque\""));
    assert_eq!(param(&ch[0], "nonce"), param(&ch[1], "nonce"));
    let stale = c.challenges(t0, true);
    assert!(stale.iter().all(|s| s.ends_with(", stale=true")));
    assert_ne!(param(&stale[0], "nonce"), param(&ch[0], "nonce"));
}

#[test]
fn round_trip_all_algorithms_and_credential_kinds() {
    let t0 = Instant::now();
    let users = users();
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        for (user, pw) in [("alice", "wonderland"), ("bob", "builder")] {
            let mut c = challenger(t0);
            assert_eq!(
                c.verify(t0, "REGISTER", &[], &users),
                AuthOutcome::Challenge {
                    stale: false,
                    cause: ChallengeCause::NoCredentials
                }
            );
            let ch = c.challenges(t0, false);
            let auth = answer(pick(&ch, alg), user, pw, 1);
            let got = c.verify(t0 + Duration::from_millis(40), "REGISTER", &[&auth], &users);
            assert_eq!(
                got,
                AuthOutcome::Ok {
                    user: user.to_owned(),
                    algorithm: alg,
                    uri: URI.to_owned()
                },
                "{alg} {user}"
            );
        }
    }
}

#[test]
fn sess_variants_round_trip_when_offered() {
    let t0 = Instant::now();
    let mut cfg = ChallengerConfig::new(REALM);
    cfg.algorithms = vec![Algorithm::Sha256Sess, Algorithm::Md5Sess];
    let mut c = Challenger::new(cfg, [2u8; 32], t0);
    for alg in [Algorithm::Sha256Sess, Algorithm::Md5Sess] {
        let ch = c.challenges(t0, false);
        let auth = answer(pick(&ch, alg), "bob", "builder", 1);
        assert!(matches!(
            c.verify(t0, "REGISTER", &[&auth], &users()),
            AuthOutcome::Ok { algorithm, .. } if algorithm == alg
        ));
    }
    // MD5 was not offered here.
    let nonce = param(&c.challenges(t0, false)[0], "nonce").expect("nonce");
    let auth = answer_with(Algorithm::Md5, REALM, &nonce, "bob", "builder", 1);
    assert_eq!(
        c.verify(t0, "REGISTER", &[&auth], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::UnsupportedAlgorithm
        }
    );
}

#[test]
fn wrong_password_and_unknown_user_are_forbidden() {
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let ch = c.challenges(t0, false);
    let wrong = answer(&ch[0], "alice", "not-the-password", 1);
    assert_eq!(
        c.verify(t0, "REGISTER", &[&wrong], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::BadCredentials
        }
    );
    let unknown = answer(&ch[0], "mallory", "whatever", 1);
    assert_eq!(
        c.verify(t0, "REGISTER", &[&unknown], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::BadCredentials
        }
    );
    // A failed attempt does not consume the nonce count.
    let right = answer(&ch[0], "alice", "wonderland", 1);
    assert!(matches!(
        c.verify(t0, "REGISTER", &[&right], &users()),
        AuthOutcome::Ok { .. }
    ));
}

#[test]
fn ha1_without_the_chosen_algorithm_is_forbidden() {
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let ch = c.challenges(t0, false);
    let auth = answer(pick(&ch, Algorithm::Md5), "carol", "pw", 1);
    assert_eq!(
        c.verify(t0, "REGISTER", &[&auth], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::NoCredentialForAlgorithm
        }
    );
    let auth = answer(pick(&ch, Algorithm::Sha256), "carol", "pw", 1);
    assert!(matches!(
        c.verify(t0, "REGISTER", &[&auth], &users()),
        AuthOutcome::Ok { .. }
    ));
}

#[test]
fn expired_nonce_is_stale_only_with_the_right_password() {
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let ch = c.challenges(t0, false);
    let good = answer(&ch[0], "alice", "wonderland", 1);
    let bad = answer(&ch[0], "alice", "nope", 1);
    let just_before = t0 + Duration::from_millis(299_999);
    let after = t0 + Duration::from_secs(300);
    let good2 = answer(&ch[0], "alice", "wonderland", 2);
    assert!(matches!(
        c.verify(just_before, "REGISTER", &[&good], &users()),
        AuthOutcome::Ok { .. }
    ));
    assert_eq!(
        c.verify(after, "REGISTER", &[&good2], &users()),
        AuthOutcome::Challenge {
            stale: true,
            cause: ChallengeCause::Expired
        }
    );
    assert_eq!(
        c.verify(after, "REGISTER", &[&bad], &users()),
        AuthOutcome::Challenge {
            stale: false,
            cause: ChallengeCause::Expired
        }
    );
}

#[test]
fn configured_lifetime_is_honoured() {
    let t0 = Instant::now();
    let mut cfg = ChallengerConfig::new(REALM);
    cfg.nonce_lifetime = Duration::from_secs(10);
    let mut c = Challenger::new(cfg, [9u8; 32], t0);
    let ch = c.challenges(t0 + Duration::from_secs(5), false);
    let auth = answer(&ch[0], "alice", "wonderland", 1);
    assert!(matches!(
        c.verify(t0 + Duration::from_secs(15), "REGISTER", &[&auth], &users()),
        AuthOutcome::Challenge { stale: true, .. }
    ));
}

#[test]
fn forged_or_foreign_nonce_gets_a_fresh_challenge() {
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let nonce = param(&c.challenges(t0, false)[0], "nonce").expect("nonce");
    // Flip the last hex digit of the MAC.
    let mut forged = nonce.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == '0' { '1' } else { '0' });
    // Move the issue time forward (to dodge expiry) without a new MAC.
    let mut retimed = nonce.clone();
    retimed.replace_range(0..2, if &nonce[0..2] == "ff" { "fe" } else { "ff" });
    let other = Challenger::new(ChallengerConfig::new(REALM), [8u8; 32], t0);
    let foreign = param(&other.challenges(t0, false)[0], "nonce").expect("nonce");
    for n in [
        forged.as_str(),
        retimed.as_str(),
        foreign.as_str(),
        "abc",
        "",
    ] {
        let auth = answer_with(Algorithm::Sha256, REALM, n, "alice", "wonderland", 1);
        assert_eq!(
            c.verify(t0, "REGISTER", &[&auth], &users()),
            AuthOutcome::Challenge {
                stale: false,
                cause: ChallengeCause::UnknownNonce
            },
            "nonce {n:?}"
        );
    }
}

#[test]
fn replayed_nonce_count_gets_a_fresh_challenge() {
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let ch = c.challenges(t0, false);
    let first = answer(&ch[0], "alice", "wonderland", 1);
    assert!(matches!(
        c.verify(t0, "REGISTER", &[&first], &users()),
        AuthOutcome::Ok { .. }
    ));
    let replay = AuthOutcome::Challenge {
        stale: false,
        cause: ChallengeCause::Replay,
    };
    assert_eq!(c.verify(t0, "REGISTER", &[&first], &users()), replay);
    let third = answer(&ch[0], "alice", "wonderland", 3);
    assert!(matches!(
        c.verify(t0, "REGISTER", &[&third], &users()),
        AuthOutcome::Ok { .. }
    ));
    let second = answer(&ch[0], "alice", "wonderland", 2);
    assert_eq!(c.verify(t0, "REGISTER", &[&second], &users()), replay);
    assert_eq!(c.tracked_nonces(), 1);
    // nc=0 is never valid.
    let ch = c.challenges(t0, false);
    let zero = answer(&ch[0], "alice", "wonderland", 0);
    assert_eq!(c.verify(t0, "REGISTER", &[&zero], &users()), replay);
}

#[test]
fn replay_table_is_bounded_and_evicted_nonces_stay_refused() {
    let t0 = Instant::now();
    let mut cfg = ChallengerConfig::new(REALM);
    cfg.max_tracked_nonces = 2;
    let mut c = Challenger::new(cfg, [3u8; 32], t0);
    let mut firsts = Vec::new();
    for _ in 0..3 {
        let ch = c.challenges(t0, false);
        let a = answer(&ch[0], "alice", "wonderland", 1);
        assert!(matches!(
            c.verify(t0, "REGISTER", &[&a], &users()),
            AuthOutcome::Ok { .. }
        ));
        firsts.push(ch[0].clone());
    }
    assert_eq!(c.tracked_nonces(), 2);
    // The oldest nonce was evicted: even a higher nc is refused for it.
    let evicted = answer(&firsts[0], "alice", "wonderland", 5);
    assert!(matches!(
        c.verify(t0, "REGISTER", &[&evicted], &users()),
        AuthOutcome::Challenge {
            cause: ChallengeCause::Replay,
            ..
        }
    ));
    let kept = answer(&firsts[2], "alice", "wonderland", 2);
    assert!(matches!(
        c.verify(t0, "REGISTER", &[&kept], &users()),
        AuthOutcome::Ok { .. }
    ));
    // Entries go away once their nonces expire.
    let later = t0 + Duration::from_secs(301);
    let ch = c.challenges(later, false);
    let a = answer(&ch[0], "alice", "wonderland", 1);
    assert!(matches!(
        c.verify(later, "REGISTER", &[&a], &users()),
        AuthOutcome::Ok { .. }
    ));
    assert_eq!(c.tracked_nonces(), 1);
}

#[test]
fn other_realm_missing_qop_and_malformed() {
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let nonce = param(&c.challenges(t0, false)[0], "nonce").expect("nonce");
    let foreign = answer_with(
        Algorithm::Md5,
        "elsewhere",
        &nonce,
        "alice",
        "wonderland",
        1,
    );
    assert_eq!(
        c.verify(t0, "REGISTER", &[&foreign], &users()),
        AuthOutcome::Challenge {
            stale: false,
            cause: ChallengeCause::OtherRealm
        }
    );
    // Our realm's header is found among several.
    let ours = answer_with(Algorithm::Md5, REALM, &nonce, "alice", "wonderland", 1);
    assert!(matches!(
        c.verify(
            t0,
            "REGISTER",
            &["Basic Zm9vOmJhcg==", &foreign, &ours],
            &users()
        ),
        AuthOutcome::Ok { .. }
    ));
    let no_qop = format!(
        "Digest username=\"alice\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{URI}\", response=\"00\""
    );
    assert_eq!(
        c.verify(t0, "REGISTER", &[&no_qop], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::UnsupportedQop
        }
    );
    let auth_int = ours.replace("qop=auth", "qop=auth-int");
    assert_eq!(
        c.verify(t0, "REGISTER", &[&auth_int], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::UnsupportedQop
        }
    );
    assert!(matches!(
        c.verify(t0, "REGISTER", &["Digest username=\"alice"], &users()),
        AuthOutcome::Malformed(_)
    ));
    // The method is part of HA2: an INVITE answer is not a REGISTER answer.
    let ch = c.challenges(t0, false);
    let a = answer(&ch[0], "alice", "wonderland", 1);
    assert_eq!(
        c.verify(t0, "INVITE", &[&a], &users()),
        AuthOutcome::Forbidden {
            reason: ForbiddenReason::BadCredentials
        }
    );
}

#[test]
fn verification_tolerates_a_slightly_older_now() {
    // Worker threads read the clock before taking the challenger's lock.
    let t0 = Instant::now();
    let mut c = challenger(t0);
    let ch = c.challenges(t0 + Duration::from_secs(10), false);
    let a = answer(&ch[0], "alice", "wonderland", 1);
    assert!(matches!(
        c.verify(t0 + Duration::from_secs(9), "REGISTER", &[&a], &users()),
        AuthOutcome::Ok { .. }
    ));
    // Far in the future is not ours.
    let b = answer(&ch[0], "alice", "wonderland", 2);
    assert_eq!(
        c.verify(t0 + Duration::from_secs(5), "REGISTER", &[&b], &users()),
        AuthOutcome::Challenge {
            stale: false,
            cause: ChallengeCause::UnknownNonce
        }
    );
}
