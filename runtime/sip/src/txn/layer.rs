//! The transaction layer: owns the transactions, matches messages, runs
//! timers, queues transmits and events.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt::Debug;
use std::time::Instant;

use bytes::Bytes;

use super::client::{ClientState, ClientTxn};
use super::key::{ClientKey, ServerKey};
use super::server::{ServerState, ServerTxn};
use super::{Event, Transmit, TxnConfig, TxnError, TxnId};
use crate::message::{Message, Request, Response};
use crate::method::Method;

/// Queued outputs, drained by `poll_transmit` / `poll_event`.
pub(crate) struct Outputs<A> {
    transmits: VecDeque<Transmit<A>>,
    events: VecDeque<Event<A>>,
}

impl<A> Outputs<A> {
    pub(crate) fn transmit(&mut self, to: A, bytes: Bytes) {
        self.transmits.push_back(Transmit { to, bytes });
    }

    pub(crate) fn event(&mut self, e: Event<A>) {
        self.events.push_back(e);
    }
}

/// All transactions of one SIP element, generic over the caller's
/// destination type `A` (a flow id, a socket address, …).
///
/// Inputs: [`handle_incoming`](Self::handle_incoming),
/// [`send_request`](Self::send_request), [`send_response`](Self::send_response),
/// [`handle_timeout`](Self::handle_timeout),
/// [`handle_transport_error`](Self::handle_transport_error).
/// Outputs: [`poll_transmit`](Self::poll_transmit),
/// [`poll_event`](Self::poll_event), [`poll_timeout`](Self::poll_timeout).
pub struct TransactionLayer<A> {
    config: TxnConfig,
    next_id: u64,
    clients: HashMap<TxnId, (ClientKey, ClientTxn<A>)>,
    servers: HashMap<TxnId, (ServerKey, ServerTxn<A>)>,
    client_index: HashMap<ClientKey, TxnId>,
    server_index: HashMap<ServerKey, TxnId>,
    /// Deadlines; entries may be stale and are checked when popped.
    timers: BinaryHeap<Reverse<(Instant, TxnId)>>,
    out: Outputs<A>,
}

impl<A: Clone + Eq + Debug> TransactionLayer<A> {
    pub fn new(config: TxnConfig) -> TransactionLayer<A> {
        TransactionLayer {
            config,
            next_id: 0,
            clients: HashMap::new(),
            servers: HashMap::new(),
            client_index: HashMap::new(),
            server_index: HashMap::new(),
            timers: BinaryHeap::new(),
            out: Outputs {
                transmits: VecDeque::new(),
                events: VecDeque::new(),
            },
        }
    }

    pub fn config(&self) -> &TxnConfig {
        &self.config
    }

    /// Number of live transactions (client, server).
    pub fn counts(&self) -> (usize, usize) {
        (self.clients.len(), self.servers.len())
    }

    fn alloc_id(&mut self) -> TxnId {
        self.next_id += 1;
        TxnId(self.next_id)
    }

    /// A message arrived from `from`. `reliable` is the transport's
    /// (TCP/TLS/WS/WSS: true; UDP: false); it decides whether the new
    /// server transaction retransmits.
    pub fn handle_incoming(&mut self, now: Instant, msg: Message, from: A, reliable: bool) {
        match msg {
            Message::Request(req) => self.incoming_request(now, req, from, reliable),
            Message::Response(resp) => self.incoming_response(now, resp, from),
        }
    }

    fn incoming_request(&mut self, now: Instant, req: Request, from: A, reliable: bool) {
        let Ok(key) = ServerKey::for_request(&req) else {
            // `parse` guarantees the headers the key needs; a hand-built
            // request without them cannot be a transaction.
            if req.method == Method::Ack {
                self.out.event(Event::Ack { request: req, from });
            }
            return;
        };
        if let Some(&id) = self.server_index.get(&key) {
            if let Some((_, txn)) = self.servers.get_mut(&id) {
                let to_tu = txn.on_request(now, &req, &self.config, &mut self.out);
                self.after_server(id);
                if to_tu {
                    self.out.event(Event::Ack { request: req, from });
                }
            }
            return;
        }
        if req.method == Method::Ack {
            self.out.event(Event::Ack { request: req, from });
            return;
        }
        let id = self.alloc_id();
        let txn = ServerTxn::start(
            id,
            now,
            req.clone(),
            from.clone(),
            reliable,
            &self.config,
            &mut self.out,
        );
        self.server_index.insert(key.clone(), id);
        self.servers.insert(id, (key, txn));
        self.out.event(Event::Request {
            txn: id,
            request: req,
            from,
        });
        self.after_server(id);
    }

    fn incoming_response(&mut self, now: Instant, resp: Response, from: A) {
        let id = ClientKey::for_response(&resp).and_then(|k| self.client_index.get(&k).copied());
        let Some((_, txn)) = id.and_then(|id| self.clients.get_mut(&id)) else {
            self.out.event(Event::StrayResponse {
                response: resp,
                from,
            });
            return;
        };
        let id = txn.id;
        txn.on_response(now, resp, &self.config, &mut self.out);
        self.after_client(id);
    }

    /// Starts a client transaction. The request must carry a top Via with
    /// an RFC 3261 branch (see [`crate::new_branch`]) and a CSeq; ACK is not
    /// a transaction (use [`Self::send_stateless`]).
    pub fn send_request(
        &mut self,
        now: Instant,
        req: Request,
        to: A,
        reliable: bool,
    ) -> Result<TxnId, TxnError> {
        if req.method == Method::Ack {
            return Err(TxnError::AckIsNotATransaction);
        }
        req.headers.cseq().map_err(TxnError::BadRequest)?;
        let key = ClientKey::for_request(&req)
            .map_err(TxnError::BadRequest)?
            .ok_or(TxnError::NotRfc3261Branch)?;
        if self.client_index.contains_key(&key) {
            return Err(TxnError::Duplicate);
        }
        let id = self.alloc_id();
        let txn = ClientTxn::start(id, now, req, to, reliable, &self.config, &mut self.out);
        self.client_index.insert(key.clone(), id);
        self.clients.insert(id, (key, txn));
        self.after_client(id);
        Ok(id)
    }

    /// Sends the TU's response on a server transaction.
    pub fn send_response(
        &mut self,
        now: Instant,
        txn: TxnId,
        resp: &Response,
    ) -> Result<(), TxnError> {
        let (_, t) = self
            .servers
            .get_mut(&txn)
            .ok_or(TxnError::UnknownTransaction)?;
        let result = t.send_response(now, resp, &self.config, &mut self.out);
        self.after_server(txn);
        result
    }

    /// Queues bytes outside any transaction: the ACK for a 2xx, a 2xx
    /// retransmission, a stateless reply.
    pub fn send_stateless(&mut self, to: A, msg: &Message) {
        self.out.transmit(to, msg.to_bytes());
    }

    /// The server INVITE transaction a CANCEL refers to (RFC 3261 §9.2):
    /// same key as the CANCEL, with method INVITE.
    pub fn find_cancel_target(&self, cancel: &Request) -> Option<TxnId> {
        let key = ServerKey::with_method(cancel, &Method::Invite).ok()?;
        let id = *self.server_index.get(&key)?;
        let (_, t) = self.servers.get(&id)?;
        (t.state != ServerState::Terminated).then_some(id)
    }

    /// The request that started a server transaction.
    pub fn server_request(&self, txn: TxnId) -> Option<&Request> {
        self.servers.get(&txn).map(|(_, t)| &t.request)
    }

    /// The transport failed to deliver for `txn` (§17.1.4, §17.2.4): the TU
    /// is told and the transaction ends.
    pub fn handle_transport_error(&mut self, txn: TxnId) {
        if let Some((_, t)) = self.clients.get_mut(&txn) {
            t.terminate();
            self.out.event(Event::TransportError { txn });
            self.after_client(txn);
        } else if let Some((_, t)) = self.servers.get_mut(&txn) {
            t.terminate();
            self.out.event(Event::TransportError { txn });
            self.after_server(txn);
        }
    }

    /// Fires every timer due at `now`. Each due transaction is handled once
    /// per call, so a late call never bursts retransmissions.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        while let Some(Reverse((t, id))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            due.push(id);
        }
        due.sort_unstable();
        due.dedup();
        for id in due {
            if let Some((_, t)) = self.clients.get_mut(&id) {
                t.on_timeout(now, &self.config, &mut self.out);
                self.after_client(id);
            } else if let Some((_, t)) = self.servers.get_mut(&id) {
                t.on_timeout(now, &self.config, &mut self.out);
                self.after_server(id);
            }
        }
    }

    /// The earliest pending deadline.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((t, id))) = self.timers.peek().copied() {
            let live = match (self.clients.get(&id), self.servers.get(&id)) {
                (Some((_, c)), _) => c.deadlines().contains(&Some(t)),
                (_, Some((_, s))) => s.deadlines().contains(&Some(t)),
                _ => false,
            };
            if live {
                return Some(t);
            }
            self.timers.pop();
        }
        None
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit<A>> {
        self.out.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event<A>> {
        self.out.events.pop_front()
    }

    fn after_client(&mut self, id: TxnId) {
        let Some((_, t)) = self.clients.get(&id) else {
            return;
        };
        if t.state == ClientState::Terminated {
            if let Some((key, _)) = self.clients.remove(&id) {
                self.client_index.remove(&key);
            }
            self.out.event(Event::Terminated { txn: id });
            return;
        }
        for d in t.deadlines().into_iter().flatten() {
            self.timers.push(Reverse((d, id)));
        }
    }

    fn after_server(&mut self, id: TxnId) {
        let Some((_, t)) = self.servers.get(&id) else {
            return;
        };
        if t.state == ServerState::Terminated {
            if let Some((key, _)) = self.servers.remove(&id) {
                self.server_index.remove(&key);
            }
            self.out.event(Event::Terminated { txn: id });
            return;
        }
        for d in t.deadlines().into_iter().flatten() {
            self.timers.push(Reverse((d, id)));
        }
    }
}
