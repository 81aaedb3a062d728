#!/usr/bin/env python3
"""The crawler of docs/contract.md as a Scrapy spider: a peer for `compare --peers`.

Scrapy (Twisted underneath, callbacks and Deferreds; https://scrapy.org) is the crawler most
Python users would reach for. This script runs one `scrapy.Spider` with `CrawlerProcess`, with no
Scrapy project, and keeps the command line and the JSON Lines report of our crawlers and of
`benches/peers/crawl.py`, so that the harness can run it as it runs that peer:

    python3 benches/peers/scrapy/crawl.py http://127.0.0.1:8080/ --max-tasks 100 --json -q

Scrapy does the fetching, the scheduling, the concurrency, the retries, the timeouts, the
decompression and the TLS; the spider does what the contract fixes and Scrapy does not:

- each URL once, in the contract's normal form: Scrapy's duplicate filter is off
  (`BaseDupeFilter`, `dont_filter=True`) and the spider keeps the set of URLs seen, with
  --max-pages and --max-depth acting as they do in our crawlers;
- redirects: REDIRECT_ENABLED and METAREFRESH_ENABLED are off and every status reaches the
  spider (`handle_httpstatus_all`), which records a 30x with a Location as a redirect (status,
  next_url) and enqueues its target itself, with --max-redirect;
- links: the href of a, area and link, resolved against the first <base href>, found with
  Scrapy's own selectors (parsel over lxml) in the body decoded as the contract says;
- content_type, encoding, num_urls and num_new_urls as the contract defines them, and the
  JSON Lines report sorted by url (the text report without --json).

Settings: CONCURRENT_REQUESTS = --max-tasks, CONCURRENT_REQUESTS_PER_DOMAIN = --max-per-host
(default --max-tasks) with one download slot per host:port (CONCURRENT_REQUESTS_PER_IP is
deprecated in Scrapy 2.19 and left at 0), DOWNLOAD_DELAY = --delay (not randomized),
RETRY_TIMES = --max-tries - 1 on network errors only (RETRY_HTTP_CODES empty, a retry goes
ahead of the queue), DOWNLOAD_TIMEOUT = --timeout, DOWNLOAD_MAXSIZE = the contract's 10 MiB
body cap, FIFO scheduling (FifoMemoryQueue, ScrapyPriorityQueue), CONCURRENT_ITEMS = 1 (the
default 100 Twisted cooperators per response cost two thirds of the CPU on small pages);
ROBOTSTXT_OBEY, cookies, the HTTP cache, AutoThrottle, the telnet console, remote control,
proxies, Referer, the URL length and depth middlewares and the offsite filter are off. The log
goes to stderr at the contract's levels (-q: errors only, -qq: nothing). Reactor: Twisted's
epoll reactor by default; Scrapy's default, the asyncio reactor, is `--reactor asyncio` (the
two are within the noise of each other here, epoll a little ahead on the Rust docs). https:
certificates are checked (Scrapy does not by default) against the system's roots and the CA
certificates of --ca-file. Ctrl-C prints the report of what is done (with the JSON trailer)
and exits 130; a second one exits at once.

Where it differs from the contract: a body over the cap is a failure (`Other: network
error`: Scrapy cancels such a download, Content-Length or decoded size over DOWNLOAD_MAXSIZE)
where our crawlers keep its first 10 MiB as a 200; Twisted reports a reset connection as
ConnectionLost, mapped to `ConnectionReset`, and an orderly close as `ConnectionClosed`; the
User-Agent is Scrapy's own; Accept-Encoding is Scrapy's (gzip, deflate, br, zstd).

URL normal form, host rules and command line: `normalize`, `is_ip`, `lenient_host`, the host
checks and `parse_args` are copied from ../crawl.py (not imported: that one needs aiohttp), with
a few fixes toward the contract (dot segments of absolute URLs, punycode hosts, tabs and
newlines in hrefs, the root checks, the bad-argument messages).

Needs Scrapy (`pip install scrapy`; tried with 2.19.0 on Twisted 26.10.0).
"""

import argparse
import codecs
import functools
import ipaddress
import json
import logging
import os
import re
import resource
import signal
import sys
import time
import urllib.parse
import warnings
from collections import Counter, namedtuple

try:
    import scrapy
    from parsel import Selector
    from scrapy.crawler import CrawlerProcess
    from scrapy.exceptions import ScrapyDeprecationWarning
except ImportError:
    sys.exit("error: this crawler needs Scrapy (pip install scrapy)")

LOGGER = logging.getLogger("crawler-models")

FetchStatistic = namedtuple(
    "FetchStatistic",
    ["url", "next_url", "status", "exception", "size", "content_type", "encoding",
     "num_urls", "num_new_urls"],
)

REDIRECTS = (300, 301, 302, 303, 307, 308)
BODY_CAP = 10 * 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
REACTORS = {
    "epoll": "twisted.internet.epollreactor.EPollReactor",
    "asyncio": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
}
# What the WHATWG URL parser strips from both ends of a URL, and removes anywhere.
C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"))


# --- The URL normal form and the host rules (from ../crawl.py) ------------------------------

def normalize(url):
    """The `url` crate's normal form: lower-case scheme and host (punycode if not ASCII), default
    port dropped, dot segments resolved, "/" for an empty path, percent-encoding as the WHATWG
    path and query sets say, no fragment. None for a URL that is not http(s) or has no host."""
    url = TAB_OR_NEWLINE.sub("", url.strip(C0_AND_SPACE))
    try:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        port = parts.port
        host = parts.hostname.lower()
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    if ":" in host:
        host = "[" + host + "]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    if "." in path:
        # urljoin resolves "." and ".." of a relative reference, not of an absolute URL.
        path = urllib.parse.urlsplit(urllib.parse.urljoin("http://h/", path)).path or "/"
    path = urllib.parse.quote(path, safe="!$%&'()*+,/:;=@[\\]^|")
    query = urllib.parse.quote(parts.query, safe="!$%&()*+,/:;=?@[\\]^`{|}")
    return urllib.parse.urlunsplit((scheme, netloc, path, query if "?" in url else "", ""))


def is_ip(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def lenient_host(host):
    parts = host.rstrip(".").split(".")
    return ".".join(parts[-2:])


def host_of(url):
    return urllib.parse.urlsplit(url).hostname


class Rules:
    """Host matching, --exclude, and the set of URLs seen with --max-pages and --max-depth."""

    def __init__(self, roots, exclude, strict, max_pages, max_depth):
        self.exclude = exclude
        self.strict = strict
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.root_domains = set()
        for root in roots:
            host = host_of(root)
            self.root_domains.add(host if is_ip(host) or strict else lenient_host(host))
        self.seen_urls = set(roots)
        self.host_cache = {}

    def host_okay(self, host):
        okay = self.host_cache.get(host)
        if okay is None:
            okay = self.host_cache[host] = self._host_okay(host)
        return okay

    def _host_okay(self, host):
        host = host.lower()
        if host in self.root_domains:
            return True
        if is_ip(host):
            return False
        if self.strict:
            twin = host[4:] if host.startswith("www.") else "www." + host
            return twin in self.root_domains
        return lenient_host(host) in self.root_domains

    def url_allowed(self, url):
        if self.exclude and self.exclude.search(url):
            return False
        host = host_of(url)
        return host is not None and self.host_okay(host)

    def admit(self, url, depth):
        """"new", "seen" or "refused" (--max-pages, --max-depth: not marked seen)."""
        if url in self.seen_urls:
            return "seen"
        if (self.max_depth is not None and depth > self.max_depth) or (
                self.max_pages is not None and len(self.seen_urls) >= self.max_pages):
            return "refused"
        self.seen_urls.add(url)
        return "new"


# --- Pages: content type, encoding, links ---------------------------------------------------

def content_type_and_charset(header):
    """The media type (lower-cased, no parameters; None when absent) and the charset label."""
    if not header:
        return None, None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').strip("'").strip() or None
            break
    return media.strip().lower() or None, charset


def known_codec(label):
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def meta_charset(body):
    """The first <meta> charset in the first 1024 bytes that names a known encoding."""
    for m in META_CHARSET.finditer(body[:1024]):
        label = m.group(1).decode("ascii", "replace")
        if known_codec(label):
            return label
    return None


def decode(body, encoding):
    """The body as text: a byte-order mark wins over the label; an unknown label is UTF-8."""
    for bom, codec in BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace")
    return body.decode(known_codec(encoding) or "utf-8", errors="replace")


def clean_href(href):
    return TAB_OR_NEWLINE.sub("", href.strip(C0_AND_SPACE))


HREFS = None  # the compiled XPath of the hrefs, made at the first page


def hrefs_selectors(text):
    """The base href (or None) and the hrefs of a, area and link, in document order, with
    Scrapy's selectors: a parsel Selector (lxml's HTML parser: comments, <script> and <style>
    hold no elements), queried with one compiled XPath that returns plain strings."""
    global HREFS
    if HREFS is None:
        from lxml import etree
        HREFS = (etree.XPath("(//base/@href)[1]", smart_strings=False),
                 etree.XPath("//a/@href | //area/@href | //link/@href", smart_strings=False))
    root = Selector(text=text, type="html").root
    base = HREFS[0](root)
    return (base[0] if base else None), HREFS[1](root)


def hrefs_htmlparser(text):
    """The same with the standard library's html.parser, as ../crawl.py finds them."""
    from html.parser import HTMLParser

    class LinkParser(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.base = None
            self.hrefs = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("a", "area", "link", "base"):
                return
            href = next((v for k, v in attrs if k == "href" and v is not None), None)
            if href is None:
                return
            if tag != "base":
                self.hrefs.append(href)
            elif self.base is None:
                self.base = href

        handle_startendtag = handle_starttag

    parser = LinkParser()
    parser.feed(text)
    parser.close()
    return parser.base, parser.hrefs


LINK_FINDERS = {"selectors": hrefs_selectors, "htmlparser": hrefs_htmlparser}


# --- Network errors in the contract's words -------------------------------------------------

def _causes(exc):
    """exc and everything it wraps: Failures, __cause__/__context__, ResponseFailed.reasons."""
    out, stack = [], [exc]
    while stack:
        e = stack.pop()
        if e is None or any(e is o for o in out):
            continue
        if hasattr(e, "value") and hasattr(e, "trap"):  # a twisted Failure
            stack.append(e.value)
            continue
        out.append(e)
        stack.extend([e.__cause__, e.__context__])
        stack.extend(getattr(e, "reasons", None) or [])
    return out


ERROR_KINDS = [
    ("Tls: TLS handshake failed",
     {"Error", "SSLError", "VerificationError", "CertificateError", "TLSError"}),
    ("Timeout: timed out",
     {"DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeout"}),
    ("ConnectionRefused: connection refused",
     {"DownloadConnectionRefusedError", "ConnectionRefusedError", "NoRouteError"}),
    ("HostNotFound: host not found", {"CannotResolveHostError", "DNSLookupError"}),
    ("MalformedResponse: malformed HTTP response",
     {"ParseError", "BadHeaders", "BadResponseVersion", "DecompressionError"}),
    # Twisted's ConnectionLost is a connection that ended in an error (a reset), not in an
    # orderly close (ConnectionDone).
    ("ConnectionReset: connection reset by peer", {"ConnectionResetError", "ConnectionLost"}),
    ("ConnectionClosed: connection closed before the response was complete",
     {"ResponseDataLossError", "_DataLoss", "ConnectionDone",
      "ResponseNeverReceived", "DownloadFailedError", "ResponseFailed", "BrokenPipeError"}),
]


def error_text(exc):
    causes = _causes(exc)
    names = set()
    for e in causes:
        name = type(e).__name__
        if name == "Error" and not type(e).__module__.startswith("OpenSSL"):
            continue  # only OpenSSL.SSL.Error stands for TLS among the plain "Error"s
        names.add(name)
    for text, kinds in ERROR_KINDS:
        if names & kinds:
            return text
    return "Other: network error"


# --- The spider -------------------------------------------------------------------------------

class State:
    """What the crawl keeps, outside Scrapy: the rules, the records, the flags."""

    def __init__(self, args):
        self.args = args
        self.rules = Rules(args.roots, args.exclude, not args.lenient, args.max_pages,
                           args.max_depth)
        self.find_links = LINK_FINDERS[args.links]
        self.link_cache = {}  # (base directory or base, href) -> allowed link or None
        self.done = []
        self.interrupted = False
        self.todo = 0
        self.t0 = time.time()
        self.t1 = None


class ContractSpider(scrapy.Spider):
    name = "crawler-models"

    def __init__(self, state, **kwargs):
        super().__init__(**kwargs)
        self.state = state

    async def start(self):
        for root in self.state.args.roots:
            yield self.request(root, self.state.args.max_redirect, 0)

    def request(self, url, max_redirect, depth):
        netloc = urllib.parse.urlsplit(url).netloc
        return scrapy.Request(
            url, callback=self.parse, errback=self.failed, dont_filter=True,
            meta={"u": url, "mr": max_redirect, "d": depth, "handle_httpstatus_all": True,
                  "dont_redirect": True, "download_slot": netloc})

    def record(self, stat):
        if not self.state.interrupted:
            self.state.done.append(stat)

    def parse(self, response):
        """The record of a response, and the requests of its new links (or of its redirect
        target): a list, not a generator, so that a page's links are admitted all at once,
        as the page is parsed, and not as Scrapy gets round to iterating."""
        st = self.state
        if st.interrupted:
            return []
        meta = response.meta
        url, depth = meta["u"], meta["d"]
        status = response.status
        location = response.headers.get(b"Location")
        if status in REDIRECTS and location is not None:
            target = urllib.parse.urljoin(url, clean_href(location.decode("latin-1")))
            next_url = normalize(target) or urllib.parse.urldefrag(target)[0]
            self.record(FetchStatistic(url, next_url, status, None, 0, None, None, 0, 0))
            rules = st.rules
            if next_url in rules.seen_urls or not rules.url_allowed(next_url):
                return []
            if meta["mr"] == 0:
                LOGGER.warning("redirect limit reached for %s from %s", next_url, url)
                return []
            if rules.admit(next_url, depth) == "new":
                return [self.request(next_url, meta["mr"] - 1, depth)]
            return []
        body = response.body[:BODY_CAP]
        content_type = encoding = None
        links = []
        if status == 200:
            header = response.headers.get(b"Content-Type")
            content_type, charset = content_type_and_charset(
                header.decode("latin-1") if header else None)
            parsed = content_type in ("text/html", "application/xml")
            if charset is None and parsed:
                charset = meta_charset(body)
            encoding = charset.lower() if charset else "utf-8"
            if parsed:
                links = self.links(url, decode(body, encoding))
        new = 0
        requests = []
        rules = st.rules
        for link in links:
            admitted = rules.admit(link, depth + 1)
            if admitted != "seen":
                new += 1
            if admitted == "new":
                requests.append(self.request(link, st.args.max_redirect, depth + 1))
        self.record(FetchStatistic(url, None, status, None, len(body), content_type, encoding,
                                   len(links), new))
        return requests

    def links(self, url, text):
        """The page's distinct allowed links, in normal form, in document order.

        The fragment never matters, and a link depends on the base's directory only, unless
        the href is empty (the base itself) or starts with "?": the (directory, href) pairs
        already resolved are kept, so that the hundreds of links that the pages of one folder
        share are normalized once."""
        base, hrefs = self.state.find_links(text)
        base = url if base is None else urllib.parse.urljoin(url, clean_href(base))
        path = base.partition("#")[0].partition("?")[0]
        base_dir = path[:path.rfind("/") + 1] if path.count("/") >= 3 else base
        cache = self.state.link_cache
        if len(cache) > 1_000_000:
            cache.clear()
        allowed = self.state.rules.url_allowed
        join = urllib.parse.urljoin
        links, kept = [], set()
        for href in hrefs:
            href = href.strip(C0_AND_SPACE)
            if "\t" in href or "\n" in href or "\r" in href:
                href = TAB_OR_NEWLINE.sub("", href)
            href = href.partition("#")[0]
            key = (base if not href or href[0] == "?" else base_dir, href)
            link = cache.get(key, "")
            if link == "":
                link = normalize(join(base, href))
                if link is not None and not allowed(link):
                    link = None
                cache[key] = link
            if link is not None and link not in kept:
                kept.add(link)
                links.append(link)
        return links

    def failed(self, failure):
        """Every try failed (Scrapy's RetryMiddleware has given up), or the download was
        refused (a body over DOWNLOAD_MAXSIZE)."""
        url = failure.request.meta["u"]
        LOGGER.info("%s failed: %r", url, failure.value)
        self.record(FetchStatistic(url, None, None, error_text(failure.value), 0, None, None,
                                   0, 0))


# --- https: the system's roots and --ca-file -------------------------------------------------

CA_FILE = None


@functools.cache
def _context_factory_class():
    """A Scrapy context factory that verifies certificates (name included) against the
    platform's roots and the CA of --ca-file (DOWNLOADER_CLIENTCONTEXTFACTORY)."""
    from scrapy.core.downloader.contextfactory import _ScrapyClientContextFactory
    from twisted.internet._sslverify import IOpenSSLTrustRoot, platformTrust
    from twisted.internet.ssl import optionsForClientTLS
    from zope.interface import implementer

    @implementer(IOpenSSLTrustRoot)
    class PlatformAndFile:
        def _addCACertsToContext(self, context):
            platformTrust()._addCACertsToContext(context)
            if CA_FILE:
                context.load_verify_locations(CA_FILE)

    class VerifyingContextFactory(_ScrapyClientContextFactory):
        def creatorForNetloc(self, hostname, port):
            return optionsForClientTLS(
                hostname=hostname.decode("ascii"), trustRoot=PlatformAndFile(),
                extraCertificateOptions=self._get_cert_options_kwargs())

    return VerifyingContextFactory


def context_factory(*args, **kwargs):
    """What DOWNLOADER_CLIENTCONTEXTFACTORY names: builds the verifying factory."""
    cls = _context_factory_class()
    return cls(*args, **kwargs)


context_factory.from_crawler = lambda crawler, *a, **kw: _context_factory_class().from_crawler(
    crawler, *a, **kw)


# --- The report -------------------------------------------------------------------------------

def report(state, as_json, file=sys.stdout):
    stats = sorted(state.done, key=lambda s: s.url)
    done = len(stats)
    if as_json:
        lines = [json.dumps(s._asdict(), separators=(",", ":"), ensure_ascii=False)
                 for s in stats]
        if state.interrupted:
            lines.append(json.dumps({"interrupted": True, "todo": state.todo, "done": done},
                                    separators=(",", ":")))
        file.write("".join(line + "\n" for line in lines))
        return
    counters = Counter()
    lines = ["*** Report ***"]
    for s in stats:
        if s.exception:
            lines.append(f"{s.url} error {s.exception}")
            counters["fail"] += 1
            counters["fail_" + s.exception.partition(":")[0]] += 1
        elif s.next_url:
            lines.append(f"{s.url} {s.status} redirect {s.next_url}")
            counters["redirect"] += 1
        else:
            lines.append(f"{s.url} {s.status} {s.content_type} {s.encoding} {s.size} "
                         f"{s.num_new_urls}/{s.num_urls}")
            kind = ("html" if s.content_type == "text/html" else "other") \
                if s.status == 200 else "error"
            counters[kind] += 1
            counters[kind + "_bytes"] += s.size
            if kind != "html":
                counters[f"status_{s.status}"] += 1
    if state.interrupted:
        lines += ["", "Interrupted"]
    elapsed = (state.t1 or time.time()) - state.t0
    tasks = state.args.max_tasks
    rate = done / elapsed / tasks if elapsed > 0 else 0.0
    lines.append(f"Finished {done} urls in {elapsed:.3f} secs (max_tasks={tasks}) "
                 f"({rate:.3f} urls/sec/task)")
    lines += [f"{n:10} {name}" for name, n in sorted(counters.items()) if n]
    lines += [f"Todo: {state.todo}", f"Done: {done}"]
    file.write("".join(line + "\n" for line in lines))


# --- The command line -------------------------------------------------------------------------

def parse_args(argv):
    class Parser(argparse.ArgumentParser):
        def error(self, message):
            print(f"error: {message} (see --help)", file=sys.stderr)
            sys.exit(2)

    def bad(message):
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)

    p = Parser(description="Crawl a web site from one or more roots and report every URL "
                           "(Scrapy).")
    p.add_argument("roots", nargs="+", metavar="ROOT")
    p.add_argument("--max-tasks", type=int, default=10)
    p.add_argument("--max-redirect", type=int, default=10)
    p.add_argument("--max-tries", type=int, default=4)
    p.add_argument("--exclude")
    p.add_argument("--lenient", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--max-pages", type=int)
    p.add_argument("--max-depth", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--ca-file")
    p.add_argument("--max-per-host", type=int)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.add_argument("-q", "--quiet", action="count", default=0)
    p.add_argument("-V", "--version", action="version",
                   version=f"crawl.py (Scrapy {scrapy.__version__})")
    # Of this peer's own.
    p.add_argument("--reactor", choices=sorted(REACTORS), default="epoll",
                   help="Twisted reactor (default: epoll)")
    p.add_argument("--links", choices=sorted(LINK_FINDERS), default="selectors",
                   help="how links are found (default: Scrapy's selectors)")
    args = p.parse_args(argv)
    if args.max_tasks < 1:
        bad("bad flag: --max-tasks must be at least 1")
    if args.max_tries < 1:
        bad("bad flag: --max-tries must be at least 1")
    for flag in ("max_redirect", "max_pages", "max_depth"):
        value = getattr(args, flag)
        if value is not None and value < 0:
            bad(f"bad flag: --{flag.replace('_', '-')} must not be negative")
    if args.max_per_host is not None and args.max_per_host < 1:
        bad("bad flag: --max-per-host must be at least 1")
    if not args.timeout > 0:
        bad(f"bad flag: --timeout must be a positive number of seconds, not {args.timeout:g}")
    if not args.delay >= 0:
        bad(f"bad flag: --delay must not be negative, not {args.delay:g}")
    try:
        args.exclude = re.compile(args.exclude) if args.exclude else None
    except re.error as e:
        bad(f"bad --exclude regex: {e}")
    if args.ca_file:
        try:
            with open(args.ca_file, "rb") as f:
                pem = f.read()
        except OSError as e:
            bad(f"bad flag: --ca-file {args.ca_file}: {e.strerror}")
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            bad(f"bad flag: --ca-file {args.ca_file}: no certificate in the file")
    roots = []
    for root in args.roots:
        if any(c.isspace() for c in root):
            bad(f"bad URL {root!r}: a URL has no whitespace".replace("'", '"'))
        url = root if "://" in root else "http://" + root
        normal = normalize(url)
        if normal is None:
            bad(f'bad URL "{root}": only http and https URLs can be crawled')
        host = host_of(normal)
        if not (is_ip(host) or HOST_NAME.match(host)):
            bad(f'bad URL "{root}": "{host}" is not a host name')
        if normal not in roots:
            roots.append(normal)
    args.roots = roots
    return args


def settings_of(args):
    level = max(-2, min(2, args.verbose - args.quiet))
    log_level = {-2: logging.CRITICAL + 1, -1: "ERROR", 0: "WARNING", 1: "INFO",
                 2: "DEBUG"}[level]
    off = None
    return {
        "BOT_NAME": "crawler-models",
        "TWISTED_REACTOR": REACTORS[args.reactor],
        "CONCURRENT_REQUESTS": args.max_tasks,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.max_per_host or args.max_tasks,
        # What a callback yields is processed by this many Twisted cooperators per response
        # (100 by default): one keeps the links in document order, at a third of the CPU.
        "CONCURRENT_ITEMS": 1,
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "DOWNLOAD_DELAY": args.delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "ROBOTSTXT_OBEY": False,
        "HTTPCACHE_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "HTTPPROXY_ENABLED": False,
        "REFERER_ENABLED": False,
        "URLLENGTH_LIMIT": 0,
        "DEPTH_LIMIT": 0,
        "LOGSTATS_INTERVAL": 0,
        "STATS_DUMP": False,
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": "%(levelname)s %(message)s",
        "REDIRECT_ENABLED": False,
        "METAREFRESH_ENABLED": False,
        "RETRY_ENABLED": args.max_tries > 1,
        "RETRY_TIMES": args.max_tries - 1,
        "RETRY_HTTP_CODES": [],
        "RETRY_PRIORITY_ADJUST": 1,
        "DOWNLOAD_TIMEOUT": args.timeout,
        "DOWNLOAD_MAXSIZE": BODY_CAP,
        "DOWNLOAD_WARNSIZE": 0,
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        "DOWNLOAD_VERIFY_CERTIFICATES": True,
        "DOWNLOADER_CLIENTCONTEXTFACTORY": context_factory,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": off,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": off,
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": off,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": off,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": off,
            "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": off,
            "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": off,
            "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": off,
        },
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.referer.RefererMiddleware": off,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": off,
            "scrapy.spidermiddlewares.depth.DepthMiddleware": off,
        },
    }


def main():
    global CA_FILE
    args = parse_args(sys.argv[1:])
    CA_FILE = args.ca_file
    # As our crawlers do: a socket per fetch in flight, so the soft limit of open files is
    # raised to the hard one (10,000 fetches in flight need more than the usual 1,024).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    # DOWNLOADER_CLIENTCONTEXTFACTORY is deprecated in Scrapy 2.19, and still the way to choose
    # the trust roots of its Twisted TLS client.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning)
    state = State(args)
    process = CrawlerProcess(settings_of(args), install_root_handler=True)
    crawler = process.create_crawler(ContractSpider)

    def report_now():
        """First Ctrl-C, on the reactor's thread: the report of what is done, exit 130."""
        state.t1 = time.time()
        try:
            state.todo = len(crawler.engine.scheduler)
        except Exception:  # noqa: BLE001 (no scheduler yet)
            state.todo = 0
        report(state, args.json)
        sys.stdout.flush()
        os._exit(130)

    def interrupted(signum, frame):
        if state.interrupted:
            os._exit(130)
        state.interrupted = True
        os.write(2, b"interrupted: taking no new URLs; printing the report of what is done\n")
        from twisted.internet import reactor
        reactor.callFromThread(report_now)

    signal.signal(signal.SIGINT, interrupted)
    process.crawl(crawler, state=state)
    state.t0 = time.time()
    process.start(install_signal_handlers=False)
    state.t1 = time.time()
    if state.interrupted:  # Ctrl-C as the reactor stopped: report_now may not have run
        report_now()
    report(state, args.json)
    sys.stdout.flush()
    sys.exit(0)


if __name__ == "__main__":
    main()
