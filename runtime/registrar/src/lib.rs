//! Sans-IO registrar for sbcctl.
//!
//! - [`digest`]: challenges and verification of SIP digest credentials (MD5,
//!   SHA-256, `qop=auth`, nonce lifetime, nc replay protection).
//! - [`bindings`]: REGISTER processing, bindings per AOR tied to their flows,
//!   behind the [`bindings::BindingStore`] interface.
//! - [`forward`]: forward mode, the token ↔ flow mapping that keeps the SBC
//!   on the path of calls to browsers registered at an upstream registrar.
//!
//! Nothing here reads a clock, opens a socket or draws randomness on its own:
//! the caller passes `now: Instant`, secrets and random sources, so tests run
//! on a virtual clock. Nothing depends on the SIP parser either: the glue
//! fills the plain input types from parsed messages.
//!
//! # Local mode, end to end
//!
//! ```
//! use sbcctl_registrar::bindings::{
//!     ContactInput, ContactSet, FlowRef, MemoryStore, RegisterRequest, Registrar,
//!     RegistrarPolicy,
//! };
//! use sbcctl_registrar::digest::{
//!     Algorithm, AuthOutcome, Challenger, ChallengerConfig, Credential, ResponseInput, ha1,
//!     response,
//! };
//! use std::collections::HashMap;
//! use std::time::Instant;
//!
//! let now = Instant::now();
//! let users = HashMap::from([("alice".to_owned(), Credential::Plain("secret".into()))]);
//! // One challenger per users peer; the secret comes from a CSPRNG at startup.
//! let mut auth = Challenger::new(ChallengerConfig::new("example.com"), [42; 32], now);
//! let mut registrar = Registrar::new(MemoryStore::new(), RegistrarPolicy::default(), "node-1");
//!
//! // 1. A REGISTER without credentials: answer 401 with these WWW-Authenticate values.
//! assert!(matches!(
//!     auth.verify(now, "REGISTER", &[], &users),
//!     AuthOutcome::Challenge { stale: false, .. }
//! ));
//! let challenges = auth.challenges(now, false); // SHA-256 first, then MD5
//! let nonce = challenges[0].split("nonce=\"").nth(1).and_then(|s| s.split('"').next());
//! let nonce = nonce.expect("a nonce in the challenge");
//!
//! // 2. The UA answers (computed here the way a UA does).
//! let r = response(
//!     Algorithm::Sha256,
//!     &ha1(Algorithm::Sha256.hash(), "alice", "example.com", "secret"),
//!     &ResponseInput { method: "REGISTER", uri: "sip:example.com", nonce, nc: "00000001",
//!                      cnonce: "xyz", qop: "auth" },
//! );
//! let authorization = format!(
//!     "Digest username=\"alice\", realm=\"example.com\", nonce=\"{nonce}\", \
//!      uri=\"sip:example.com\", response=\"{}\", algorithm=SHA-256, cnonce=\"xyz\", \
//!      qop=auth, nc=00000001", r.as_str());
//! let AuthOutcome::Ok { user, .. } = auth.verify(now, "REGISTER", &[&authorization], &users)
//! else { panic!("not authenticated") };
//! assert_eq!(user, "alice"); // the glue checks it may register the To AOR
//!
//! // 3. Apply the REGISTER; the 200 lists every binding with its remaining expiry.
//! let req = RegisterRequest {
//!     aor: "sip:alice@example.com".into(),
//!     call_id: "a84b4c76e66710".into(),
//!     cseq: 2,
//!     contacts: ContactSet::List(vec![ContactInput {
//!         uri: "sip:k2j4@df7jal23ls0d.invalid;transport=ws".into(),
//!         instance: Some("\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"".into()),
//!         reg_id: Some(1),
//!         invalid_host: true,
//!         ..ContactInput::default()
//!     }]),
//!     expires_header: Some(600),
//!     flow: Some(FlowRef(17)),
//!     flow_bound: true,
//!     ..RegisterRequest::default()
//! };
//! let ok = registrar.register(now, &req).expect("accepted");
//! assert_eq!(ok.bindings[0].remaining_secs(now), 600);
//!
//! // 4. The WebSocket closes: its bindings go at once.
//! assert_eq!(registrar.remove_flow(FlowRef(17)).expect("store").len(), 1);
//! assert!(registrar.lookup("sip:alice@example.com", now).expect("store").is_empty());
//! ```

pub mod bindings;
pub mod digest;
pub mod forward;
