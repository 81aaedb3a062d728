//! [`Crawler`]: the queue, the seen-set and the records as plain fields of one value, which the
//! event loop hands to every callback. One thread, so no locks; at most `max_tasks` fetchers in
//! flight; the crawl ends when the unfinished count reaches zero.

use std::collections::VecDeque;
use std::time::Instant;

use shared::hosts::{Ask, Hosts};
use shared::{Config, FetchStatistic, Job, NetError, Policy, Report, Response, Seen, step};

use crate::event_loop::EventLoop;
use crate::fetcher::Fetcher;
use mio::Token;
use mio::net::TcpStream;
use shared::http::{Pool, Tls};

/// The event-loop crawler: everything its callbacks share.
///
/// Nothing here is behind a lock or a `RefCell`. Only one callback runs at a time, on the loop's
/// one thread, and each runs to its end before the next starts: between the moment a callback
/// checks the seen-set and the moment it inserts, nothing else can run. The check-then-add
/// race of the thread model cannot happen, and the compiler agrees, since every callback gets
/// `&mut Crawler` in turn.
#[derive(Debug)]
pub struct Crawler {
    /// The crawl's configuration.
    pub(crate) config: Config,
    policy: Policy,
    /// The joinable queue's items: URLs waiting for a fetcher.
    queue: VecDeque<Job>,
    /// The joinable queue's count: URLs put and not yet done (queued or being fetched). The
    /// crawl ends when it reaches zero.
    unfinished: usize,
    /// Fetches under way, at most `max_tasks`.
    in_flight: usize,
    /// The seen-set, a plain field: see the type's docs for why no lock.
    seen: Seen,
    /// The host schedule (`--max-per-host`, `--delay`, `--robots`): URLs waiting for their
    /// host are parked in it, not in a fetcher. A plain field too.
    pub(crate) hosts: Hosts,
    /// The token of the host schedule's alarm: its timers wake the URLs whose host's delay is
    /// over (set once the loop exists).
    alarm: Option<Token>,
    /// The records of URLs done.
    done: Vec<FetchStatistic>,
    /// Host addresses, resolved once each, and idle keep-alive connections: the shared
    /// core's pool, a plain field like the rest (the thread model puts the same pool behind a
    /// lock).
    pub(crate) pool: Pool<TcpStream>,
    /// The crawl's TLS settings, for each new https connection.
    pub(crate) tls: Tls,
    /// Whether `work` is running, so that a fetch that ends at once (no such host) does not
    /// start `work` again from inside it.
    working: bool,
}

/// Crawls with the event-loop model and returns the report: the library face every model
/// shares.
pub fn crawl(config: &Config) -> Report {
    Crawler::new(config).crawl()
}

impl Crawler {
    /// A crawler for `config`, its roots queued.
    pub fn new(config: &Config) -> Crawler {
        let (seen, roots) = Seen::new(config);
        config.progress().queued(roots.len());
        Crawler {
            config: config.clone(),
            policy: Policy::new(config),
            unfinished: roots.len(),
            queue: roots.into(),
            in_flight: 0,
            seen,
            hosts: Hosts::new(config),
            alarm: None,
            done: Vec::new(),
            pool: Pool::new(config.max_tasks()),
            tls: Tls::new(config.ca_certs()),
            working: false,
        }
    }

    /// Runs the crawl to the end (or to Ctrl-C) and reports.
    ///
    /// 1. Start the first fetches ([`work`](Self::work)).
    /// 2. Run the event loop until the unfinished count is zero. Every fetch that ends starts
    ///    the next ones, from inside its callback.
    /// 3. Drop the loop, and with it any fetch still registered (none, unless interrupted).
    pub fn crawl(mut self) -> Report {
        let t0 = Instant::now();
        let mut lp = match EventLoop::new() {
            Ok(lp) => lp,
            Err(e) => return self.abandon(t0, NetError::from_io(&e)),
        };
        // Ctrl-C runs on another thread: it wakes the loop, which then sees the stop.
        let waker = lp.waker();
        // Registered for this crawl only: the guard drops the hook, and its waker, at the end.
        let _on_stop = self.config.stop().on_stop(move || {
            let _ = waker.wake();
        });
        // The host schedule's alarm: a callback like a fetcher's, which only timers call.
        let alarm = lp.reserve();
        lp.set_callback(alarm, Box::new(|crawler: &mut Crawler, lp, _, _| crawler.on_alarm(lp)));
        self.alarm = Some(alarm);
        self.work(&mut lp);
        let stop = self.config.stop().clone();
        if let Err(e) = lp.run(&mut self, |crawler| crawler.unfinished == 0 || stop.is_triggered())
        {
            tracing::error!("the event loop failed: {e}");
        }
        let interrupted = self.config.stop().is_triggered();
        // Todo is what was still waiting in the queue or for its host; fetches in flight when
        // Ctrl-C came are in neither Todo nor Done, as in the other models.
        let todo = self.queue.len() + self.hosts.parked();
        Report::new(self.done, todo, t0.elapsed(), self.config.max_tasks(), interrupted)
            .with_robots_disallowed(self.hosts.disallowed())
    }

    /// Starts fetches while fewer than `max_tasks` are in flight and URLs are waiting: the
    /// thread model's idle workers taking from the queue, as a loop over free slots.
    pub fn work(&mut self, lp: &mut EventLoop<Crawler>) {
        if self.working {
            return; // The `work` below us on the stack will take the next URLs.
        }
        self.working = true;
        while self.in_flight < self.config.max_tasks() && !self.config.stop().is_triggered() {
            let Some(job) = self.queue.pop_front() else {
                break;
            };
            // A URL whose host is busy or inside its delay is parked in the host schedule,
            // and the loop goes on to the next URL: no fetcher waits for a host.
            match self.hosts.ask(job, Instant::now()) {
                Ask::Go(job, alarm) => {
                    self.set_alarm(lp, alarm);
                    self.in_flight += 1;
                    self.config.progress().started();
                    Fetcher::fetch(self, lp, job);
                }
                Ask::Wait { put, alarm } => {
                    self.set_alarm(lp, alarm);
                    if let Some(robots) = put {
                        self.unfinished += 1;
                        self.config.progress().queued(1);
                        self.queue.push_front(robots); // before the URLs that wait for it
                    }
                }
                Ask::Disallowed(_) => {
                    self.config.progress().started();
                    self.config.progress().done();
                    self.unfinished -= 1; // task_done, with no record
                }
            }
        }
        self.working = false;
    }

    /// The host schedule's alarm went off: the URLs whose host's delay is over go back in the
    /// queue (still unfinished: they never left), and fetches start.
    fn on_alarm(&mut self, lp: &mut EventLoop<Crawler>) {
        let due = self.hosts.due(Instant::now());
        self.queue.extend(due.again);
        self.set_alarm(lp, due.alarm);
        self.work(lp);
    }

    /// The callback model's way to wait for an instant: a timer on the loop.
    fn set_alarm(&mut self, lp: &mut EventLoop<Crawler>, at: Option<Instant>) {
        if let (Some(at), Some(token)) = (at, self.alarm) {
            lp.set_timer(at, token);
        }
    }

    /// A fetch is over (`fetched` is its response, or the failure of its last try): the outcome
    /// step, the record, the new URLs put, `task_done`, and the next fetches started.
    pub fn fetched(
        &mut self,
        job: &Job,
        fetched: Result<Response, NetError>,
        lp: &mut EventLoop<Crawler>,
    ) {
        // `&mut self.seen`: the seen-set is a plain field, borrowed for the one step.
        let mut step = step(&self.policy, job, fetched, &mut self.seen);
        let released = self.hosts.ended(job, step.robots.take(), Instant::now());
        if let Some(stat) = step.stat {
            self.done.push(stat);
        }
        self.unfinished += step.jobs.len();
        self.config.progress().queued(step.jobs.len());
        self.queue.extend(step.jobs);
        self.queue.extend(released.again); // parked: unfinished all along
        self.set_alarm(lp, released.alarm);
        self.config.progress().done();
        self.unfinished -= 1; // task_done
        self.in_flight -= 1;
        self.work(lp);
    }

    /// Without an event loop (the system refused one) nothing can be fetched: every root fails.
    fn abandon(self, t0: Instant, error: NetError) -> Report {
        tracing::error!("cannot start the event loop: {error}");
        let done = self.queue.iter().map(|job| FetchStatistic::failed(job.url.as_str(), error));
        Report::new(done.collect(), 0, t0.elapsed(), self.config.max_tasks(), false)
    }
}
