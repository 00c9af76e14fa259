// The proxy's HTTP/1.1 head parser and chunked tracker: every classic
// request-smuggling shape gets the verdict that keeps the proxy and the
// server agreeing on where each message ends (and if they cannot agree, the
// request is refused).
#include "egress/http.h"

#include <gtest/gtest.h>

#include <string>

namespace cordon::egress {
namespace {

Parse req(std::string_view text, RequestHead* out = nullptr, std::string* error = nullptr) {
  RequestHead head;
  std::string why;
  const auto r = parse_request_head(text, out ? out : &head, error ? error : &why);
  return r;
}

Parse resp(std::string_view text, std::string_view method = "GET", ResponseHead* out = nullptr) {
  ResponseHead head;
  std::string why;
  return parse_response_head(text, method, out ? out : &head, &why);
}

constexpr std::string_view kGet =
    "GET http://example.com/a?b=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";

TEST(EgressHttpRequest, AbsoluteFormGetIsParsed) {
  RequestHead h;
  ASSERT_EQ(req(kGet, &h), Parse::Complete);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.form, TargetForm::Absolute);
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.port, 80);
  EXPECT_EQ(h.path, "/a?b=1");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.framing, BodyFraming::None);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(h.head_size, kGet.size());
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[1].name, "Accept");
  EXPECT_EQ(h.headers[1].value, "*/*");
}

TEST(EgressHttpRequest, EveryShorterPrefixIsIncomplete) {
  for (std::size_t n = 0; n < kGet.size(); ++n) {
    EXPECT_EQ(req(kGet.substr(0, n)), Parse::Incomplete) << n;
  }
}

TEST(EgressHttpRequest, HeadSizeLeavesThePipelinedNextRequest) {
  const std::string two = std::string(kGet) + "GET http://example.com/ HTTP/1.1\r\n";
  RequestHead h;
  ASSERT_EQ(req(two, &h), Parse::Complete);
  EXPECT_EQ(h.head_size, kGet.size());
}

TEST(EgressHttpRequest, PortAndIpv6AndEmptyPath) {
  RequestHead h;
  ASSERT_EQ(req("GET http://Example.COM:8080 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", &h),
            Parse::Complete);
  EXPECT_EQ(h.host, "Example.COM");
  EXPECT_EQ(h.port, 8080);
  EXPECT_EQ(h.path, "/");
  ASSERT_EQ(req("GET http://[::1]:81/x HTTP/1.1\r\nHost: [::1]:81\r\n\r\n", &h), Parse::Complete);
  EXPECT_EQ(h.host, "::1");
  EXPECT_EQ(h.port, 81);
}

TEST(EgressHttpRequest, ConnectIsAuthorityForm) {
  RequestHead h;
  ASSERT_EQ(req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", &h),
            Parse::Complete);
  EXPECT_EQ(h.form, TargetForm::Authority);
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.port, 443);
  EXPECT_EQ(req("CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("CONNECT http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\nContent-Length: "
                "5\r\n\r\nhello"),
            Parse::Invalid);
}

TEST(EgressHttpRequest, OriginAndAsteriskFormsAreReportedForTheProxyToRefuse) {
  RequestHead h;
  ASSERT_EQ(req("GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n", &h), Parse::Complete);
  EXPECT_EQ(h.form, TargetForm::Origin);
  ASSERT_EQ(req("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n", &h), Parse::Complete);
  EXPECT_EQ(h.form, TargetForm::Asterisk);
}

TEST(EgressHttpRequest, TargetsThatUrlParsersDisagreeOnAreRefused) {
  for (const char* target : {
           "https://example.com/",            // TLS is CONNECT's job
           "http://allowed.com@evil.com/",    // userinfo
           "http://ex%61mple.com/",           // escape in the host
           "http://example.com/a#frag",       // fragment
           "http://example.com:0/",           // port 0
           "http://example.com:65536/",       // port out of range
           "http://example.com:/",            // empty port
           "http://example.com:+80/",         // signed port
           "http://[::1/",                    // unterminated literal
           "ftp://example.com/",              // other scheme
           "http:///path",                    // no host
           "http://exa mple.com/",            // space (request line has 4 parts)
           "http://example.com\\@evil.com/",  // backslash
       }) {
    const std::string text =
        std::string("GET ") + target + " HTTP/1.1\r\nHost: example.com\r\n\r\n";
    EXPECT_EQ(req(text), Parse::Invalid) << target;
  }
}

TEST(EgressHttpRequest, RequestLineMustBeExact) {
  EXPECT_EQ(req("GET  http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET\thttp://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ HTTP/1.1 \r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ HTTP/2.0\r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ HTTP/0.9\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ http/1.1\r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("G(T http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), Parse::Invalid);
}

TEST(EgressHttpRequest, LeadingEmptyLinesAreSkipped) {
  RequestHead h;
  const std::string text = "\r\n\r\n" + std::string(kGet);
  ASSERT_EQ(req(text, &h), Parse::Complete);
  EXPECT_EQ(h.head_size, text.size());
  EXPECT_EQ(find_head_end(text), text.size());  // not the end of the leading empty lines
}

TEST(EgressHttpRequest, HostHeaderIsChecked) {
  std::string why;
  EXPECT_EQ(req("GET http://a.example/ HTTP/1.1\r\n\r\n", nullptr, &why), Parse::Invalid);
  EXPECT_NE(why.find("Host"), std::string::npos) << why;
  // HTTP/1.0 may omit it.
  EXPECT_EQ(req("GET http://a.example/ HTTP/1.0\r\n\r\n"), Parse::Complete);
  // The proxy checks the target; a server that routes on Host must see the same.
  EXPECT_EQ(req("GET http://allowed.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(req("GET http://allowed.example/ HTTP/1.1\r\nHost: allowed.example:8080\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(req("GET http://allowed.example/ HTTP/1.1\r\nHost: allowed.example\r\nHost: "
                "evil.example\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(req("GET http://allowed.example/ HTTP/1.1\r\nHost: allowed.example\r\nHost: "
                "allowed.example\r\n\r\n"),
            Parse::Invalid);
  // Case and an explicit default port are the same authority.
  EXPECT_EQ(req("GET http://Allowed.Example/ HTTP/1.1\r\nHost: allowed.example:80\r\n\r\n"),
            Parse::Complete);
  EXPECT_EQ(req("CONNECT a.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n"), Parse::Invalid);
}

// --- Smuggling: the classic cases, each with the verdict that prevents it.

std::string post_with(std::string_view headers, std::string_view body = "") {
  return "POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n" + std::string(headers) +
         "\r\n" + std::string(body);
}

TEST(EgressHttpSmuggling, ContentLengthAndTransferEncodingTogetherAreRefused) {
  // CL.TE: the front end uses Content-Length, the back end chunked.
  EXPECT_EQ(
      req(post_with("Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nSMUGGLED")),
      Parse::Invalid);
  // TE.CL: the other order.
  EXPECT_EQ(req(post_with("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                          "8\r\nSMUGGLED\r\n0\r\n\r\n")),
            Parse::Invalid);
}

TEST(EgressHttpSmuggling, TransferEncodingObfuscationsAreRefused) {
  using namespace std::string_literals;
  for (const std::string& te : std::initializer_list<std::string>{
           "Transfer-Encoding: xchunked\r\n",
           "Transfer-Encoding: chunked-false\r\n",
           "Transfer-Encoding : chunked\r\n",  // space before the colon
           "Transfer-Encoding: chunked, identity\r\n",
           "Transfer-Encoding: identity\r\n",
           "Transfer-Encoding: chunked, chunked\r\n",
           "Transfer-Encoding: chunked,\r\n",
           "Transfer-Encoding: \"chunked\"\r\n",
           "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
           "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
           "Transfer-Encoding:\r\n",
           "Transfer-Encoding: chunked\r\n identity\r\n",  // obs-fold
           "Transfer-Encoding:\x0b"
           "chunked\r\n",  // vertical tab
           "Transfer-Encoding: chu\0nked\r\n"s,
           "Transfer_Encoding: chunked\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
       }) {
    EXPECT_EQ(req(post_with(te)), Parse::Invalid) << te;
  }
}

TEST(EgressHttpSmuggling, TransferEncodingVariantsThatFrameTheSameAreAccepted) {
  // Leading whitespace in the value is OWS (not part of the token), codings
  // are case-insensitive, and a coding before chunked is legal.
  for (const char* te :
       {"Transfer-Encoding:  chunked\r\n", "Transfer-Encoding: Chunked\r\n",
        "Transfer-Encoding: gzip, chunked\r\n", "transfer-encoding:\tchunked \r\n"}) {
    RequestHead h;
    ASSERT_EQ(req(post_with(te), &h), Parse::Complete) << te;
    EXPECT_EQ(h.framing, BodyFraming::Chunked) << te;
  }
}

TEST(EgressHttpSmuggling, ContentLengthMustBeOnePlainNumber) {
  for (const char* cl : {
           "Content-Length: +5\r\n",
           "Content-Length: -1\r\n",
           "Content-Length: 0x5\r\n",
           "Content-Length: 5 5\r\n",
           "Content-Length: 5,5\r\n",
           "Content-Length: 5, 6\r\n",
           "Content-Length:\r\n",
           "Content-Length: 5\r\nContent-Length: 5\r\n",
           "Content-Length: 5\r\nContent-Length: 6\r\n",
           "Content-Length: 99999999999999999999\r\n",
           "Content-Length: 1e3\r\n",
       }) {
    EXPECT_EQ(req(post_with(cl)), Parse::Invalid) << cl;
  }
  RequestHead h;
  ASSERT_EQ(req(post_with("Content-Length:  005 \r\n"), &h), Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::ContentLength);
  EXPECT_EQ(h.content_length, 5u);
}

TEST(EgressHttpSmuggling, TransferEncodingInHttp10IsRefused) {
  EXPECT_EQ(req("POST http://example.com/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Parse::Invalid);
}

TEST(EgressHttpSmuggling, LineEndingsMustBeCrlf) {
  // LF-only lines: some servers accept them, and see a different head.
  EXPECT_EQ(req("GET http://a/ HTTP/1.1\nHost: a\n\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ HTTP/1.1\r\nHost: a\r\n\n"), Parse::Invalid);
  // Bare CR inside a line (some parsers end the line there).
  EXPECT_EQ(req("GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\rContent-Length: 5\r\n\r\n"),
            Parse::Invalid);
  // find_head_end stops at an LF-only empty line so the parser can refuse it
  // instead of waiting for a CRLFCRLF that never comes.
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: a\n\nrest"), 24u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest"), 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r"), std::string_view::npos);
}

TEST(EgressHttpSmuggling, FindHeadEndResumesAcrossReads) {
  const std::string text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  // Split at every point: the end is found from where the previous search stopped.
  for (std::size_t split = 0; split <= text.size(); ++split) {
    const auto first = find_head_end(std::string_view(text).substr(0, split));
    if (first != std::string_view::npos) {
      EXPECT_EQ(first, text.size());
      continue;
    }
    EXPECT_EQ(find_head_end(text, split), text.size()) << split;
  }
}

TEST(EgressHttpSmuggling, ConnectionCannotStripTheFramingHeaders) {
  // A hop-by-hop header is removed before forwarding; if Content-Length
  // could be made one, the server would read the body as a request.
  EXPECT_EQ(req(post_with("Content-Length: 5\r\nConnection: Content-Length\r\n", "hello")),
            Parse::Invalid);
  EXPECT_EQ(
      req(post_with("Transfer-Encoding: chunked\r\nConnection: close, transfer-encoding\r\n")),
      Parse::Invalid);
  EXPECT_EQ(req("GET http://a/ HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: Content-Length\r\n\r\n"),
            Parse::Invalid);
}

TEST(EgressHttpSmuggling, HeaderSyntaxIsStrict) {
  EXPECT_EQ(req(post_with("X-A: b\r\n c\r\n")), Parse::Invalid);  // obs-fold
  EXPECT_EQ(req(post_with("X-A : b\r\n")), Parse::Invalid);       // space before colon
  EXPECT_EQ(req(post_with("X-A\t: b\r\n")), Parse::Invalid);      // tab before colon
  EXPECT_EQ(req(post_with("X A: b\r\n")), Parse::Invalid);        // space in name
  EXPECT_EQ(req(post_with("X-A b\r\n")), Parse::Invalid);         // no colon
  EXPECT_EQ(req(post_with(": b\r\n")), Parse::Invalid);           // empty name
  EXPECT_EQ(req(post_with(std::string("X-A: b\0c\r\n", 10))), Parse::Invalid);  // NUL
  EXPECT_EQ(req(post_with("X-A: b\x7f\r\n")), Parse::Invalid);                  // DEL
  EXPECT_EQ(req(post_with("X-\xc3\xa9: b\r\n")), Parse::Invalid);               // non-ASCII name
  EXPECT_EQ(req(post_with("X-A: caf\xc3\xa9\r\n")), Parse::Complete);           // obs-text value
}

TEST(EgressHttpSmuggling, OversizeHeadIsRefused) {
  std::string big = "GET http://a/ HTTP/1.1\r\nHost: a\r\n";
  while (big.size() < kMaxHeadBytes) big += "X-Filler: " + std::string(100, 'x') + "\r\n";
  EXPECT_EQ(req(big), Parse::Invalid);  // no end yet, but already too big
  EXPECT_EQ(req(big + "\r\n"), Parse::Invalid);
  std::string why;
  EXPECT_EQ(req(std::string(kMaxHeadBytes, 'A'), nullptr, &why), Parse::Invalid);
  EXPECT_NE(why.find("64 KiB"), std::string::npos);
}

TEST(EgressHttpRequest, KeepAliveFollowsVersionAndConnection) {
  RequestHead h;
  ASSERT_EQ(req("GET http://a/ HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, Close\r\n\r\n", &h),
            Parse::Complete);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(req("GET http://a/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &h), Parse::Complete);
  EXPECT_FALSE(h.keep_alive);  // the proxy closes HTTP/1.0 connections after one exchange
}

// --- Responses

TEST(EgressHttpResponse, FramingPerRfc9112) {
  ResponseHead h;
  ASSERT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", "GET", &h), Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::ContentLength);
  EXPECT_EQ(h.content_length, 12u);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", "HEAD", &h), Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::None);
  ASSERT_EQ(resp("HTTP/1.1 204 No Content\r\nContent-Length: 12\r\n\r\n", "GET", &h),
            Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::None);
  ASSERT_EQ(resp("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", &h),
            Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::None);
  ASSERT_EQ(resp("HTTP/1.1 100 Continue\r\n\r\n", "POST", &h), Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::None);
  EXPECT_EQ(h.status, 100);
  ASSERT_EQ(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", &h),
            Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::Chunked);
  ASSERT_EQ(resp("HTTP/1.1 200 OK\r\n\r\n", "GET", &h), Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::UntilClose);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", &h), Parse::Complete);
  EXPECT_EQ(h.framing, BodyFraming::None);
  ASSERT_EQ(resp("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", "GET", &h), Parse::Complete);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(resp("HTTP/1.1 200\r\nContent-Length: 3\r\n\r\n", "GET", &h), Parse::Complete);
  EXPECT_EQ(h.reason, "");
}

TEST(EgressHttpResponse, AmbiguousFramingFromTheServerIsRefused) {
  EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n"),
            Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 200 OK\nContent-Length: 3\n\n"), Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 20 OK\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 099 OK\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1  200 OK\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(resp("HTTP/1.1 200 O\x01K\r\n\r\n"), Parse::Invalid);
  EXPECT_EQ(resp("ICY 200 OK\r\n\r\n"), Parse::Invalid);
}

// --- Chunked bodies

// Feeds text in pieces of `step` bytes; returns the verdict and the total used.
Parse feed_all(std::string_view text, std::size_t step, std::size_t* used_total) {
  ChunkedTracker t;
  *used_total = 0;
  std::string why;
  while (*used_total < text.size()) {
    const auto piece = text.substr(*used_total, step);
    std::size_t used = 0;
    const auto r = t.feed(piece, &used, &why);
    *used_total += used;
    if (r != Parse::Incomplete) return r;
  }
  return Parse::Incomplete;
}

TEST(EgressHttpChunked, FindsTheExactEndWhateverTheReadSizes) {
  const std::string body =
      "5\r\nhello\r\n1A;name=value;x=\"q s\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: "
      "1\r\n\r\n";
  const std::string next = "GET http://a/ HTTP/1.1\r\n";
  for (std::size_t step = 1; step <= body.size() + next.size(); ++step) {
    std::size_t used = 0;
    ASSERT_EQ(feed_all(body + next, step, &used), Parse::Complete) << step;
    EXPECT_EQ(used, body.size()) << step;
  }
}

TEST(EgressHttpChunked, ZeroChunkWithoutTrailers) {
  std::size_t used = 0;
  EXPECT_EQ(feed_all("0\r\n\r\n", 100, &used), Parse::Complete);
  EXPECT_EQ(used, 5u);
  EXPECT_EQ(feed_all("0\r\n", 100, &used), Parse::Incomplete);
}

TEST(EgressHttpChunked, MalformedFramingIsRefused) {
  std::size_t used = 0;
  for (const char* bad : {
           "5\nhello\r\n0\r\n\r\n",                // LF-only size line
           "5\r\nhello\n0\r\n\r\n",                // LF-only after data
           "5\r\nhelloX\r\n0\r\n\r\n",             // data longer than its size
           "x\r\n",                                // not hex
           "\r\n",                                 // empty size
           "-1\r\n",                               // sign
           "+5\r\nhello\r\n",                      // sign
           "0x5\r\nhello\r\n",                     // 0x prefix
           "5\rhello\r\n",                         // bare CR
           "5;a\x01\r\nhello\r\n",                 // control in an extension
           "0\r\n X: y\r\n\r\n",                   // obs-fold in trailers
           "0\r\nX : y\r\n\r\n",                   // space before colon in trailers
           "0\r\nX: y\n\r\n",                      // LF-only trailer line
           "0\r\n\n",                              // LF-only final line
           "10000000000000000\r\n",                // 17 hex digits: overflow
           "FFFFFFFFFFFFFFFF\r\n",                 // 2^64-1: would wrap
           "00000000000000000000000005\r\nhello",  // digit count bound
       }) {
    EXPECT_EQ(feed_all(bad, 1, &used), Parse::Invalid) << bad;
    EXPECT_EQ(feed_all(bad, 1000, &used), Parse::Invalid) << bad;
  }
}

TEST(EgressHttpChunked, ChunkSizeOverflowDoesNotWrapToSmall) {
  // 2^64 + 5 would wrap to 5 in a 64-bit accumulator without a bound, and
  // "hello" would end the body where the server does not.
  std::size_t used = 0;
  EXPECT_EQ(feed_all("10000000000000005\r\nhello\r\n0\r\n\r\n", 1, &used), Parse::Invalid);
}

TEST(EgressHttpChunked, LongExtensionsAndTrailersAreBounded) {
  std::size_t used = 0;
  const std::string long_ext = "1;" + std::string(ChunkedTracker::kMaxLineBytes + 10, 'a');
  EXPECT_EQ(feed_all(long_ext, 4096, &used), Parse::Invalid);
  std::string trailers = "0\r\n";
  while (trailers.size() < ChunkedTracker::kMaxTrailerBytes + 100) trailers += "X-T: 1234567\r\n";
  EXPECT_EQ(feed_all(trailers, 4096, &used), Parse::Invalid);
}

TEST(EgressHttpChunked, LargeChunkIsSkippedNotBuffered) {
  ChunkedTracker t;
  std::size_t used = 0;
  std::string why;
  ASSERT_EQ(t.feed("40000000\r\n", &used, &why), Parse::Incomplete);  // 1 GiB chunk
  const std::string mib(1 << 20, 'x');
  for (int i = 0; i < 1024; ++i) {
    ASSERT_EQ(t.feed(mib, &used, &why), Parse::Incomplete);
    ASSERT_EQ(used, mib.size());
  }
  ASSERT_EQ(t.feed("\r\n0\r\n\r\nNEXT", &used, &why), Parse::Complete);
  EXPECT_EQ(used, 7u);
  EXPECT_TRUE(t.done());
}

// --- What the proxy sends on

TEST(EgressHttpForward, UpstreamHeadIsOriginFormWithOneHostAndNoHopByHop) {
  RequestHead h;
  ASSERT_EQ(req("POST http://example.com:8080/up?x=1 HTTP/1.1\r\n"
                "Host: example.com:8080\r\n"
                "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                "Proxy-Connection: keep-alive\r\n"
                "Connection: keep-alive, X-Private\r\n"
                "X-Private: secret\r\n"
                "Keep-Alive: timeout=5\r\n"
                "TE: trailers\r\n"
                "Upgrade: websocket\r\n"
                "Authorization: Bearer t\r\n"
                "Content-Length: 3\r\n"
                "\r\nabc",
                &h),
            Parse::Complete);
  EXPECT_EQ(upstream_request_head(h),
            "POST /up?x=1 HTTP/1.1\r\n"
            "Host: example.com:8080\r\n"
            "Authorization: Bearer t\r\n"
            "Content-Length: 3\r\n"
            "\r\n");
}

TEST(EgressHttpForward, Ipv6HostIsBracketedAndDefaultPortOmitted) {
  RequestHead h;
  ASSERT_EQ(req("GET http://[2001:db8::1]/ HTTP/1.0\r\n\r\n", &h), Parse::Complete);
  EXPECT_EQ(upstream_request_head(h), "GET / HTTP/1.0\r\nHost: [2001:db8::1]\r\n\r\n");
}

TEST(EgressHttpForward, DownstreamHeadDropsHopByHopAndSaysClose) {
  ResponseHead h;
  ASSERT_EQ(resp("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                 "Content-Length: 2\r\n\r\nhi",
                 "GET", &h),
            Parse::Complete);
  EXPECT_EQ(downstream_response_head(h, false), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(downstream_response_head(h, true),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace cordon::egress
