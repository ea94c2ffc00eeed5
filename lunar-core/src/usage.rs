//! Resource accounting per execution: what one execution cost — CPU time in the runtime,
//! peak heap, bytes in and out, outbound calls — stored with the execution
//! ([`Execution::usage`](crate::model::Execution::usage)).
//!
//! While an execution runs, its [`Host`](crate::runtime::Host) carries a [`UsageMeter`]
//! that the host APIs (KV, AI, e-mail, host capabilities, outbound HTTP) and the runtime
//! (CPU time, heap) add to; the engine reads it once the execution ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::http_client::{
    BodyStream, HttpClient, OutboundError, OutboundRequest, OutboundResponse, StreamedResponse,
};

/// What one execution cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// CPU time the runtime's thread spent running this execution's JavaScript, in µs.
    /// Continuations of other executions sharing a warm context that run in the same
    /// turn are counted to the execution whose turn it was. (The V8 runtime reads the
    /// thread's CPU clock once per turn and charges a turn what the thread used since the
    /// previous reading, capped by the turn's wall time.)
    pub cpu_time_us: u64,
    /// The highest memory in use by the runtime's isolate (its heap and `ArrayBuffer`
    /// backing stores) seen for this execution, in bytes: measured after each of its turns
    /// that ran 0.5 ms or more, and otherwise the isolate's figure as last measured (the
    /// isolate is shared with the other executions on its worker, so this is an upper bound
    /// of its own).
    pub peak_heap_bytes: u64,
    /// Bytes of the request body the execution received.
    pub request_bytes: u64,
    /// Bytes of the response body it returned.
    pub response_bytes: u64,
    /// Bytes of request bodies it sent out (`http`/`fetch`, AI, e-mail).
    pub outbound_sent_bytes: u64,
    /// Bytes of response bodies it received from outbound requests.
    pub outbound_received_bytes: u64,
    /// Outbound calls, by API.
    pub calls: CallCounts,
}

impl Usage {
    /// The figures in field order, as stored.
    fn figures(&self) -> [u64; 11] {
        let c = &self.calls;
        [
            self.cpu_time_us,
            self.peak_heap_bytes,
            self.request_bytes,
            self.response_bytes,
            self.outbound_sent_bytes,
            self.outbound_received_bytes,
            c.http,
            c.ai,
            c.email,
            c.kv,
            c.host,
        ]
    }

    /// The storage form: the figures in field order as a JSON array
    /// (`[cpu_time_us,peak_heap_bytes,…,calls.host]`), a fifth of the size of the object the
    /// API shows; every execution row carries one.
    #[must_use]
    pub fn to_storage(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(64);
        out.push('[');
        for (i, n) in self.figures().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{n}");
        }
        out.push(']');
        out
    }

    /// Reads [`to_storage`](Self::to_storage)'s form; figures missing at the end (written
    /// by an older build) are 0. `None` when it is not an array of counts.
    #[must_use]
    pub fn from_storage(text: &str) -> Option<Self> {
        let v: Vec<u64> = serde_json::from_str(text).ok()?;
        Some(Self::from_figures(&v))
    }

    fn from_figures(v: &[u64]) -> Self {
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        Self {
            cpu_time_us: at(0),
            peak_heap_bytes: at(1),
            request_bytes: at(2),
            response_bytes: at(3),
            outbound_sent_bytes: at(4),
            outbound_received_bytes: at(5),
            calls: CallCounts {
                http: at(6),
                ai: at(7),
                email: at(8),
                kv: at(9),
                host: at(10),
            },
        }
    }
}

/// `#[serde(with = "lunar_core::usage::stored")]` for an `Option<Usage>` kept in its
/// storage form (see [`Usage::to_storage`]).
pub mod stored {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Usage;

    /// Writes the figures as an array (or nothing).
    pub fn serialize<S: Serializer>(usage: &Option<Usage>, s: S) -> Result<S::Ok, S::Error> {
        match usage {
            Some(u) => s.collect_seq(u.figures()),
            None => s.serialize_none(),
        }
    }

    /// Reads the figures back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Usage>, D::Error> {
        Ok(Option::<Vec<u64>>::deserialize(d)?.map(|v| Usage::from_figures(&v)))
    }
}

/// Outbound calls of one execution, by API. Every call counts, failed or refused ones too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallCounts {
    /// `http.*` and `fetch` requests.
    pub http: u64,
    /// `ai.chat` calls.
    pub ai: u64,
    /// `email.send` calls.
    pub email: u64,
    /// `kv.get`/`kv.set`/`kv.delete` calls.
    pub kv: u64,
    /// `host.<capability>` calls.
    pub host: u64,
}

/// The kinds of outbound call a [`UsageMeter`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallKind {
    /// `http.*`/`fetch`.
    Http,
    /// `ai.chat`.
    Ai,
    /// `email.send`.
    Email,
    /// KV.
    Kv,
    /// A host capability.
    Host,
}

/// The running counters of one execution; shared by everything that works for it.
#[derive(Debug, Default)]
pub struct UsageMeter {
    cpu_ns: AtomicU64,
    peak_heap: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
    calls: [AtomicU64; 5],
}

impl UsageMeter {
    /// A meter at zero.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds CPU time spent for the execution.
    pub fn add_cpu(&self, spent: Duration) {
        let ns = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        self.cpu_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// CPU time counted so far.
    #[must_use]
    pub fn cpu(&self) -> Duration {
        Duration::from_nanos(self.cpu_ns.load(Ordering::Relaxed))
    }

    /// Notes a heap size seen while the execution ran; the highest is kept.
    pub fn observe_heap(&self, bytes: u64) {
        self.peak_heap.fetch_max(bytes, Ordering::Relaxed);
    }

    /// Counts one outbound call.
    pub fn count(&self, kind: CallKind) {
        let i = match kind {
            CallKind::Http => 0,
            CallKind::Ai => 1,
            CallKind::Email => 2,
            CallKind::Kv => 3,
            CallKind::Host => 4,
        };
        self.calls[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts bytes sent to and received from outbound requests.
    pub fn add_outbound(&self, sent: usize, received: usize) {
        let n = |b: usize| u64::try_from(b).unwrap_or(u64::MAX);
        self.sent.fetch_add(n(sent), Ordering::Relaxed);
        self.received.fetch_add(n(received), Ordering::Relaxed);
    }

    /// The figures so far, with the execution's own request and response body sizes.
    #[must_use]
    pub fn snapshot(&self, request_bytes: u64, response_bytes: u64) -> Usage {
        let c = |i: usize| self.calls[i].load(Ordering::Relaxed);
        Usage {
            cpu_time_us: self.cpu_ns.load(Ordering::Relaxed) / 1000,
            peak_heap_bytes: self.peak_heap.load(Ordering::Relaxed),
            request_bytes,
            response_bytes,
            outbound_sent_bytes: self.sent.load(Ordering::Relaxed),
            outbound_received_bytes: self.received.load(Ordering::Relaxed),
            calls: CallCounts {
                http: c(0),
                ai: c(1),
                email: c(2),
                kv: c(3),
                host: c(4),
            },
        }
    }
}

/// An [`HttpClient`] that counts the bytes of every request through it on a meter (the
/// engine wraps the host's client per execution, so `http`, `fetch`, AI and e-mail
/// traffic all count).
#[derive(Debug)]
pub(crate) struct MeteredHttp {
    pub(crate) inner: Arc<dyn HttpClient>,
    pub(crate) meter: Arc<UsageMeter>,
}

#[async_trait]
impl HttpClient for MeteredHttp {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let sent = request.body.len();
        let r = self.inner.send(request).await;
        let received = r.as_ref().map_or(0, |resp| resp.body.len());
        self.meter.add_outbound(sent, received);
        r
    }

    async fn send_streamed(
        &self,
        request: OutboundRequest,
    ) -> Result<StreamedResponse, OutboundError> {
        self.meter.add_outbound(request.body.len(), 0);
        let r = self.inner.send_streamed(request).await?;
        Ok(self.metered(r))
    }

    async fn send_upload(
        &self,
        request: OutboundRequest,
        body: Box<dyn BodyStream>,
    ) -> Result<StreamedResponse, OutboundError> {
        let body = Box::new(MeteredBody {
            inner: body,
            meter: self.meter.clone(),
            sent: true,
        });
        let r = self.inner.send_upload(request, body).await?;
        Ok(self.metered(r))
    }
}

impl MeteredHttp {
    /// `r` with its body's chunks counted as received.
    fn metered(&self, mut r: StreamedResponse) -> StreamedResponse {
        let body = std::mem::replace(&mut r.body, Box::new(NoBody));
        r.body = Box::new(MeteredBody {
            inner: body,
            meter: self.meter.clone(),
            sent: false,
        });
        r
    }
}

/// A streamed body whose chunks count as they pass: as sent bytes for an upload, as
/// received bytes for a response.
#[derive(Debug)]
struct MeteredBody {
    inner: Box<dyn BodyStream>,
    meter: Arc<UsageMeter>,
    sent: bool,
}

#[async_trait]
impl BodyStream for MeteredBody {
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, OutboundError>> {
        let chunk = self.inner.next_chunk().await;
        match &chunk {
            Some(Ok(c)) if self.sent => self.meter.add_outbound(c.len(), 0),
            Some(Ok(c)) => self.meter.add_outbound(0, c.len()),
            _ => {}
        }
        chunk
    }
}

/// A placeholder while a body is swapped.
#[derive(Debug)]
struct NoBody;

#[async_trait]
impl BodyStream for NoBody {
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, OutboundError>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_adds_up_and_keeps_the_peak() {
        let m = UsageMeter::new();
        m.add_cpu(Duration::from_micros(1500));
        m.add_cpu(Duration::from_micros(500));
        m.observe_heap(10);
        m.observe_heap(30);
        m.observe_heap(20);
        m.add_outbound(3, 40);
        m.add_outbound(2, 0);
        for k in [CallKind::Http, CallKind::Kv, CallKind::Kv, CallKind::Host] {
            m.count(k);
        }
        let u = m.snapshot(7, 9);
        assert_eq!(u.cpu_time_us, 2000);
        assert_eq!(u.peak_heap_bytes, 30);
        assert_eq!((u.request_bytes, u.response_bytes), (7, 9));
        assert_eq!((u.outbound_sent_bytes, u.outbound_received_bytes), (5, 40));
        assert_eq!(
            u.calls,
            CallCounts {
                http: 1,
                ai: 0,
                email: 0,
                kv: 2,
                host: 1
            }
        );
        assert_eq!(u.to_storage(), "[2000,30,7,9,5,40,1,0,0,2,1]");
        assert_eq!(Usage::from_storage(&u.to_storage()), Some(u));
        assert_eq!(
            Usage::from_storage("[5]").map(|o| o.cpu_time_us),
            Some(5),
            "figures a newer build added read as 0"
        );
        assert_eq!(Usage::from_storage("{}"), None);
        let json = serde_json::to_value(u).expect("json");
        assert_eq!(json["calls"]["kv"], 2);
        assert_eq!(serde_json::from_value::<Usage>(json).expect("back"), u);
    }
}
