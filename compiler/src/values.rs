//! Parsers for the scalar forms the spec writes as text: addresses, port ranges, durations.
//! Shared by the checks (which report failures) and lowering (which then cannot fail).

use std::net::{IpAddr, SocketAddr};

pub fn socket_addr(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse::<SocketAddr>()
        .map_err(|_| format!("`{s}` is not IP:PORT"))
}

pub fn ip_addr(s: &str) -> Result<IpAddr, String> {
    s.trim()
        .parse::<IpAddr>()
        .map_err(|_| format!("`{s}` is not an IP address"))
}

/// `FIRST-LAST`, inclusive, FIRST even, at least one RTP/RTCP pair.
pub fn port_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}` is not FIRST-LAST"))?;
    let a: u16 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a port number", a.trim()))?;
    let b: u16 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a port number", b.trim()))?;
    if a == 0 {
        return Err("port 0 cannot be bound explicitly".into());
    }
    if !a.is_multiple_of(2) {
        return Err(format!("the first port {a} is odd; RTP uses even ports"));
    }
    if b <= a {
        return Err(format!("the range {a}-{b} holds no RTP/RTCP pair"));
    }
    Ok((a, b))
}

/// Milliseconds of `N`, `Nms`, `Ns`, `Nm`, `Nh`.
pub fn duration_ms(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` does not start with a whole number"))?;
    let factor = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => return Err(format!("unknown unit `{other}` (use ms, s, m or h)")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// Whole seconds (rounded up, so `1500ms` is not silently 1 s).
pub fn duration_secs(s: &str) -> Result<u64, String> {
    duration_ms(s).map(|ms| ms.div_ceil(1000))
}

/// RFC 3261 §25.1 `token` characters, for method and header names.
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("30s"), Ok(30_000));
        assert_eq!(duration_ms("5m"), Ok(300_000));
        assert_eq!(duration_ms("250ms"), Ok(250));
        assert_eq!(duration_ms("7"), Ok(7_000));
        assert!(duration_ms("5 parsecs").is_err());
        assert!(duration_ms("s").is_err());
        assert_eq!(duration_secs("1500ms"), Ok(2));
    }

    #[test]
    fn ranges() {
        assert_eq!(port_range("40000-44999"), Ok((40000, 44999)));
        assert!(port_range("40001-44999").is_err());
        assert!(port_range("40000-40000").is_err());
        assert!(port_range("x-1").is_err());
    }
}
