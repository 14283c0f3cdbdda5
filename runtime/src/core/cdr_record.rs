//! The CDR of a call, built from what the core kept about it.

use std::time::{Duration, Instant, SystemTime};

use sbcctl_b2bua::{CallId, EndCause, Side};

use super::calls::CallCtx;
use crate::cdr::{CdrRecord, rfc3339};

fn peer_name(ctx: &CallCtx, peer: Option<sbcctl_compiler::plan::PeerId>) -> Option<String> {
    peer.and_then(|p| ctx.plan.peer(p)).map(|p| p.name.clone())
}

pub(super) fn record(
    call: CallId,
    ctx: &CallCtx,
    at: Instant,
    cause: &EndCause,
    code: u16,
    result: &str,
) -> CdrRecord {
    let end = SystemTime::now()
        .checked_sub(Instant::now().saturating_duration_since(at))
        .unwrap_or_else(SystemTime::now);
    let duration = ctx
        .answered
        .map_or(Duration::ZERO, |(_, t)| at.saturating_duration_since(t));
    let hangup_side = match cause {
        EndCause::HangUp(Side::A) | EndCause::LegLost(Side::A) => Some("caller"),
        EndCause::HangUp(Side::B) | EndCause::LegLost(Side::B) => Some("callee"),
        EndCause::Cancelled => Some("caller"),
        EndCause::Failed(_) => None,
        #[allow(unreachable_patterns)]
        _ => Some("sbc"),
    };
    CdrRecord {
        sbc_call_id: format!("c-{}", call.0),
        caller_call_id: ctx.caller_call_id.clone(),
        start: rfc3339(ctx.started),
        answer: ctx.answered.map(|(t, _)| rfc3339(t)),
        end: rfc3339(end),
        duration_secs: duration.as_secs_f64(),
        setup_ms: ctx
            .answered
            .map(|(_, t)| t.saturating_duration_since(ctx.started_at).as_millis() as u64),
        source_peer: peer_name(ctx, Some(ctx.source)).unwrap_or_default(),
        destination_peer: peer_name(ctx, ctx.dest_peer),
        route: ctx.route.clone(),
        from_user: ctx.from_user.clone(),
        to_user: ctx.to_user.clone(),
        result_code: code,
        result: result.to_owned(),
        hangup_side: hangup_side.map(str::to_owned),
        reason: match cause {
            EndCause::LegLost(_) => Some("leg lost (timeout or transport error)".to_owned()),
            _ => None,
        },
    }
}
