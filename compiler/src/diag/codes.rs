//! The registry of diagnostic codes. Codes are stable: never renumber, only append.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Severity {
    #[serde(rename = "error")]
    Error,
    #[serde(rename = "warning")]
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal, $doc:literal;)*) => {
        /// A stable diagnostic code (`SBC001`…).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }
            /// One line: what the code means.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }
            /// Longer text for `sbcctl explain`.
            pub fn doc(self) -> &'static str {
                match self { $(Code::$variant => $doc),* }
            }
        }
    };
}

codes! {
    YamlSyntax = "SBC001", Error, "YAML syntax error",
        "The file is not well-formed YAML (bad indentation, an unclosed quote or bracket, a tab used for indentation). Fix the text at the marked position; nothing else in the file is checked until it parses.";
    UnknownKey = "SBC002", Error, "unknown key",
        "A mapping has a key the spec language does not define. Keys are case-sensitive and use snake_case. The help line suggests the closest known key.";
    WrongType = "SBC003", Error, "wrong type or invalid value",
        "A value has the wrong YAML type (a list where a mapping is expected, text where a number is expected) or is not one of the allowed words (for example a transport other than udp, tcp, tls, ws, wss).";
    DuplicateName = "SBC004", Error, "duplicate name",
        "Two items in the same section have the same name (a repeated mapping key, or two routes or manipulations with one name). Names identify items in references, logs, metrics and diffs, so they must be unique.";
    UndefinedReference = "SBC005", Error, "reference to an undefined item",
        "A field names an interface, TLS entry, media realm, profile or peer that the spec does not define. The help line lists the names that are defined.";
    DuplicateListen = "SBC006", Error, "duplicate listen address",
        "Two interfaces (or an interface and the admin endpoint) listen on the same transport address; the second could not bind. UDP and TCP-based listeners on one port are allowed together.";
    OverlappingPorts = "SBC007", Error, "overlapping media port ranges",
        "Two media realms on the same listen address share RTP ports; calls in one realm could collide with calls in the other.";
    MissingTls = "SBC008", Error, "TLS transport without a TLS entry",
        "An interface with transport `tls` or `wss` needs `tls: NAME` naming an entry of the `tls` section; a `udp`, `tcp` or `ws` interface must not have one.";
    BadCertificate = "SBC009", Error, "certificate or key file unreadable or invalid",
        "A file named in the `tls` section is missing, unreadable, or not PEM with a certificate (cert, ca) or a private key (key). Paths are relative to the spec file. `sbcctl validate --pure` skips this check.";
    BadRegex = "SBC010", Error, "regular expression does not compile",
        "A `regex` match or a `regex_replace` pattern is not valid syntax for the Rust regex crate (no look-around or back-references). The label points inside the string.";
    ShadowedRoute = "SBC011", Warning, "route can never match",
        "An earlier route with the same source (or with no source) and no conditions matches every request this route could match, so this route is dead. Move it above the catch-all or remove it.";
    MissingOrigins = "SBC012", Warning, "WebSocket interface without allowed_origins",
        "A `ws` or `wss` interface accepts upgrades from any web page origin, which lets any site make its visitors' browsers talk to this SBC (cross-site WebSocket hijacking). List the origins of your web application in `websocket.allowed_origins`.";
    UnreachableUsers = "SBC013", Warning, "users peer can never receive calls",
        "No route delivers to the registered bindings of this users peer (`to: { registered: NAME }`), so its users can call out but nobody can call them. Add a route, or ignore this for click-to-call-only peers.";
    BadAddress = "SBC014", Error, "invalid address",
        "A listen or proxy address must be `IP:PORT` (IPv6 as `[::1]:5060`); a realm address must be a bare IP. Host names are not resolved by the compiler.";
    BadPortRange = "SBC015", Error, "invalid port range",
        "`ports` must be `FIRST-LAST` with FIRST even (RTP uses even ports, RTCP the next odd one, RFC 3550 section 11), FIRST <= LAST, and at least two ports.";
    BadDuration = "SBC016", Error, "invalid duration",
        "Durations are a whole number followed by an optional unit: `ms`, `s` (default), `m` or `h`; for example `30s` or `5m`.";
    ProtectedHeader = "SBC017", Error, "manipulation of a protected header",
        "Via, CSeq, Call-ID, Max-Forwards, Content-Length, Route and Record-Route carry transaction and dialog identity (RFC 3261 sections 8.1.1 and 16); editing them would break transaction matching. The B2BUA rewrites them itself.";
    WrongPeerKind = "SBC018", Error, "peer of the wrong kind",
        "The referenced peer exists but has the wrong kind: `registered:` needs a users peer, `peer:` destinations and `forward.server` need a server (or echo) peer.";
    BadRule = "SBC019", Error, "malformed rule",
        "A header test needs exactly one of `exists`, `absent`, `equals`, `prefix`, `regex`; a method name must be a SIP token; a reject code must be 400-699.";
    UsersFile = "SBC020", Error, "users file cannot be read",
        "The `users_file` of a local registrar is missing, unreadable, or not a YAML list of users. The path is relative to the spec file.";
    BadVersion = "SBC021", Error, "unsupported spec version",
        "The spec's `version` must be 1, the only version this sbcctl understands.";
    BadValue = "SBC022", Error, "invalid setting",
        "A value is out of range or inconsistent: expiry bounds with min > max, an empty codec list, HA1 hashes that are not hex of the right length, a user without a credential, a zero limit.";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = ();
    fn from_str(s: &str) -> Result<Code, ()> {
        let upper = s.trim().to_ascii_uppercase();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == upper)
            .ok_or(())
    }
}
