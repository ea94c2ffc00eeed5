//! [`LunarService`]: the tower `Service` a host mounts, and its builder.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::OriginalUri;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use lunar_core::{Engine, Functions, Lunar, Scheduler};
use rand::RngCore;
use tower::{Service, ServiceExt};

use crate::auth::{Auth, AuthMode};
use crate::json::{INTERNAL, empty, error};
use crate::routes::fnexec::ClientPath;
use crate::state::{AppState, Shared, base_path_of};
use crate::{BoxError, cors};

/// The Lunar HTTP API as a tower `Service`: the REST API under `/api`, function calls under
/// `/fn`, the docs under `/docs` and, with the `dashboard` feature, the web
/// dashboard at `/`. Cheap to clone.
///
/// Mount it with `axum::Router::nest_service("/lunar", service)` or serve it directly.
#[derive(Debug, Clone)]
pub struct LunarService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    router: Router,
    state: AppState,
    cors: bool,
}

impl LunarService {
    /// A builder over an engine. Without [`auth`](LunarServiceBuilder::auth), protected
    /// routes are closed (API-key mode with a random, unknown key).
    pub fn builder(engine: Engine) -> LunarServiceBuilder {
        LunarServiceBuilder {
            engine,
            functions: None,
            scheduler: None,
            auth: None,
            base_url: None,
            cors: true,
            max_request_body_bytes: None,
            dashboard: true,
        }
    }

    /// A builder over a [`Lunar`]: its engine, its management operations (with its cron
    /// scheduler) and its base URL.
    pub fn for_lunar(lunar: &Lunar) -> LunarServiceBuilder {
        let mut b = Self::builder(lunar.engine().clone());
        b.functions = Some(lunar.functions().clone());
        b
    }

    async fn handle(self, req: Request<Body>) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let uri = req.uri().clone();
        let mut res = if method == Method::OPTIONS {
            empty(StatusCode::NO_CONTENT)
        } else {
            self.route(req).await
        };
        if method == Method::HEAD {
            *res.body_mut() = Body::empty();
        }
        if self.inner.cors {
            cors::apply(res.headers_mut());
        }
        tracing::debug!(
            method = %method,
            path = uri.path(),
            status = res.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        res
    }

    async fn route(&self, mut req: Request<Body>) -> Response<Body> {
        if req.uri().path().starts_with("/fn/") {
            // The path the client sent: the host router's original URI, else the base
            // URL's path with the path we were given.
            let full = match req.extensions().get::<OriginalUri>() {
                Some(o) => o.0.path().to_owned(),
                None => {
                    let mut p = self.inner.state.base_path.clone();
                    p.push_str(req.uri().path());
                    p
                }
            };
            req.extensions_mut().insert(ClientPath(full));
        }
        let fut = self.inner.router.clone().oneshot(req);
        let mut fut = std::pin::pin!(fut);
        let outcome = std::future::poll_fn(|cx| {
            match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Ready(Ok(res))) => Poll::Ready(Some(res)),
                Ok(Poll::Ready(Err(never))) => match never {},
                Ok(Poll::Pending) => Poll::Pending,
                Err(_) => Poll::Ready(None),
            }
        })
        .await;
        outcome.unwrap_or_else(|| {
            tracing::error!("panic while handling a request");
            error(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
        })
    }
}

/// The future of [`LunarService::call`](Service::call).
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send + 'static>>;

impl<B> Service<Request<B>> for LunarService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let this = self.clone();
        let req = req.map(Body::new);
        Box::pin(async move { Ok(this.handle(req).await) })
    }
}

/// Builds a [`LunarService`].
#[derive(Debug)]
#[must_use]
pub struct LunarServiceBuilder {
    engine: Engine,
    functions: Option<Functions>,
    scheduler: Option<Arc<dyn Scheduler>>,
    auth: Option<Auth>,
    base_url: Option<String>,
    cors: bool,
    max_request_body_bytes: Option<u64>,
    dashboard: bool,
}

impl LunarServiceBuilder {
    /// Serves the web dashboard at the root of the mount (default `true`; only with the
    /// `dashboard` feature, without which there is no dashboard to serve).
    pub fn dashboard(mut self, enabled: bool) -> Self {
        self.dashboard = enabled;
        self
    }

    /// The cron scheduler to refresh after schedule changes and deletes (a service made
    /// [`for_lunar`](LunarService::for_lunar) has its `Lunar`'s).
    pub fn scheduler(mut self, scheduler: Arc<dyn Scheduler>) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// How protected routes are authenticated.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The absolute URL at which clients reach the service, mount prefix included (one
    /// trailing `/` removed). Defaults to the engine's base URL.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(lunar_core::engine::base_url_of(base_url));
        self
    }

    /// Adds the CORS headers to every response (default `true`).
    pub fn cors(mut self, enabled: bool) -> Self {
        self.cors = enabled;
        self
    }

    /// Largest REST request body (default: the engine's default request-body limit,
    /// 10 MiB). `/fn` calls use each function's own limit.
    pub fn max_request_body_bytes(mut self, bytes: u64) -> Self {
        self.max_request_body_bytes = Some(bytes);
        self
    }

    /// Builds the service.
    pub fn build(self) -> LunarService {
        let base_url = self
            .base_url
            .or_else(|| self.engine.config().base_url.clone());
        let (base_path, secure_cookie) = base_url.as_deref().map(base_path_of).unwrap_or_default();
        let auth = self.auth.unwrap_or_else(|| {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            Auth::ApiKey(key.iter().map(|b| format!("{b:02x}")).collect())
        });
        let max_request_body_bytes = self
            .max_request_body_bytes
            .unwrap_or(self.engine.config().default_limits.max_request_body_bytes);
        let functions = self
            .functions
            .unwrap_or_else(|| Functions::new(self.engine.clone(), self.scheduler));
        let state = AppState(Arc::new(Shared {
            engine: self.engine,
            functions,
            auth: AuthMode::new(auth),
            base_url,
            base_path,
            secure_cookie,
            max_request_body_bytes,
            dashboard: self.dashboard,
        }));
        LunarService {
            inner: Arc::new(Inner {
                router: crate::routes::router(state.clone()),
                state,
                cors: self.cors,
            }),
        }
    }
}
