// The relay between the sandbox's connection and the server's, on real
// loopback TCP: integrity of large transfers, half-close in both directions,
// resets passed on only after the data, many connections at once, and a slow
// reader that must stall the sender instead of filling the proxy's memory.
// Every case runs with splice and with the read/write fallback.
#include "egress/relay.h"

#include <openssl/evp.h>
#include <sys/ioctl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "egress_loopback.h"

namespace cordon::egress {
namespace {

using namespace cordon::egress::testing;

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

class Relay : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    client_listener_ = listen_loopback(&client_port_);
    server_listener_ = listen_loopback(&server_port_);
    ASSERT_TRUE(client_listener_ && server_listener_);
    loop_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    loop_.join();
  }

  struct Ends {
    UniqueFd client;  // the sandboxed program's socket
    UniqueFd server;  // the origin server's socket
    std::future<RelayResult> result;
  };

  // client <-> a ==relay== b <-> server
  Ends start(RelayOptions options = {}) {
    Ends ends;
    ends.client = connect_loopback(client_port_);
    UniqueFd a = accept_one(client_listener_.get());
    UniqueFd b = connect_loopback(server_port_);
    ends.server = accept_one(server_listener_.get());
    auto promise = std::make_shared<std::promise<RelayResult>>();
    ends.result = promise->get_future();
    options.splice = GetParam();
    asio::post(io_, [this, a = a.release(), b = b.release(), options = std::move(options),
                     promise]() mutable {
      asio::ip::tcp::socket sa(io_, asio::ip::tcp::v4(), a);
      asio::ip::tcp::socket sb(io_, asio::ip::tcp::v4(), b);
      relay(std::move(sa), std::move(sb), pipes_, std::move(options),
            [promise](const RelayResult& r) { promise->set_value(r); });
    });
    return ends;
  }

  static RelayResult get(std::future<RelayResult>& f) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return f.get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  PipePool pipes_;
  std::thread loop_;
  UniqueFd client_listener_, server_listener_;
  std::uint16_t client_port_ = 0, server_port_ = 0;
};

TEST_P(Relay, LargeTransfersArriveIntactInBothDirectionsAtOnce) {
  auto ends = start();
  const std::string up = pattern_bytes(48 << 20, 1);
  const std::string down = pattern_bytes(40 << 20, 2);
  std::string got_up, got_down;
  std::thread server([&] {
    std::thread reader([&] { got_up = recv_until_eof(ends.server.get()); });
    send_all(ends.server.get(), down);
    ::shutdown(ends.server.get(), SHUT_WR);
    reader.join();
  });
  std::thread reader([&] { got_down = recv_until_eof(ends.client.get()); });
  ASSERT_TRUE(send_all(ends.client.get(), up));
  ::shutdown(ends.client.get(), SHUT_WR);
  reader.join();
  server.join();
  EXPECT_EQ(got_up.size(), up.size());
  EXPECT_EQ(got_down.size(), down.size());
  EXPECT_TRUE(sha256(got_up) == sha256(up));
  EXPECT_TRUE(sha256(got_down) == sha256(down));
  const auto r = get(ends.result);
  EXPECT_EQ(r.a_to_b, up.size());
  EXPECT_EQ(r.b_to_a, down.size());
  EXPECT_FALSE(r.reset_a || r.reset_b);
}

TEST_P(Relay, ClientHalfCloseStillDeliversTheWholeResponse) {
  // The request ends with the client's FIN (as `nc -N` or an HTTP/1.0
  // upload does); the response comes after it and must not be cut short.
  auto ends = start();
  ASSERT_TRUE(send_all(ends.client.get(), "request body"));
  ::shutdown(ends.client.get(), SHUT_WR);
  EXPECT_EQ(recv_until_eof(ends.server.get()), "request body");  // FIN was passed on
  const std::string response = pattern_bytes(8 << 20, 3);
  std::string got;
  std::thread reader([&] { got = recv_until_eof(ends.client.get()); });
  ASSERT_TRUE(send_all(ends.server.get(), response));
  ends.server.reset();
  reader.join();
  EXPECT_EQ(got.size(), response.size());
  EXPECT_TRUE(got == response);
  get(ends.result);
}

TEST_P(Relay, ServerHalfCloseKeepsTheUploadRunning) {
  auto ends = start();
  ASSERT_TRUE(send_all(ends.server.get(), "banner\n"));
  ::shutdown(ends.server.get(), SHUT_WR);
  int err = -1;
  EXPECT_EQ(recv_until_eof(ends.client.get(), &err), "banner\n");
  EXPECT_EQ(err, 0);  // a clean EOF, not a reset
  // The client's direction is still open after the server's FIN.
  const std::string upload = pattern_bytes(8 << 20, 4);
  std::string got;
  std::thread server([&] { got = recv_until_eof(ends.server.get()); });
  ASSERT_TRUE(send_all(ends.client.get(), upload));
  ends.client.reset();
  server.join();
  EXPECT_EQ(got.size(), upload.size());
  EXPECT_TRUE(got == upload);
  const auto r = get(ends.result);
  EXPECT_FALSE(r.reset_a || r.reset_b);
}

TEST_P(Relay, ServerResetReachesTheClientAfterAllItsBytes) {
  auto ends = start();
  const std::string data = pattern_bytes(1 << 20, 5);
  ASSERT_TRUE(send_all(ends.server.get(), data));
  reset_after_flush(ends.server);
  int err = 0;
  const std::string got = recv_until_eof(ends.client.get(), &err);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_EQ(err, ECONNRESET);  // a reset, not a clean end the client would trust
  EXPECT_TRUE(get(ends.result).reset_a);
}

TEST_P(Relay, ClientResetReachesTheServerAfterAllItsBytes) {
  auto ends = start();
  const std::string data = pattern_bytes(1 << 20, 6);
  ASSERT_TRUE(send_all(ends.client.get(), data));
  reset_after_flush(ends.client);
  int err = 0;
  const std::string got = recv_until_eof(ends.server.get(), &err);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_EQ(err, ECONNRESET);
  EXPECT_TRUE(get(ends.result).reset_b);
}

TEST_P(Relay, SlowReaderStallsTheSenderInsteadOfFillingMemory) {
  auto ends = start();
  // The server writes without blocking until the path is full; the client
  // reads nothing. What got through must be bounded by socket and pipe
  // buffers (a few MiB each), not by the 256 MiB offered.
  const std::string data = pattern_bytes(256 << 20, 7);
  std::size_t sent = 0;
  auto last_progress = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - last_progress < std::chrono::milliseconds(300)) {
    const ssize_t n =
        ::send(ends.server.get(), data.data() + sent,
               std::min<std::size_t>(data.size() - sent, 1 << 20), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      last_progress = std::chrono::steady_clock::now();
    } else {
      ::usleep(1000);
    }
    ASSERT_LT(sent, data.size()) << "nothing stopped the sender";
  }
  EXPECT_LT(sent, std::size_t{64} << 20) << "the relay buffered what the client did not read";
  // Then the client reads, and every byte arrives in order.
  std::string got;
  std::thread reader([&] { got = recv_until_eof(ends.client.get()); });
  ASSERT_TRUE(send_all(ends.server.get(), std::string_view(data).substr(sent)));
  ends.server.reset();
  reader.join();
  ends.client.reset();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(sha256(got) == sha256(data));
  get(ends.result);
}

TEST_P(Relay, PrefixGoesFirst) {
  RelayOptions options;
  options.a_to_b_prefix = "already read ";
  auto ends = start(std::move(options));
  ASSERT_TRUE(send_all(ends.client.get(), "then the rest"));
  ::shutdown(ends.client.get(), SHUT_WR);
  EXPECT_EQ(recv_until_eof(ends.server.get()), "already read then the rest");
}

TEST_P(Relay, GateSeesTheFirstBytesBeforeTheServerDoes) {
  RelayOptions options;
  options.a_to_b_prefix = "HEL";
  options.gate = [](std::string_view first, bool) {
    if (first.size() < 5) return GateVerdict{GateVerdict::NeedMore, ""};
    if (first.substr(0, 5) == "HELLO") return GateVerdict{GateVerdict::Pass, ""};
    return GateVerdict{GateVerdict::Refuse, "not a greeting"};
  };
  auto ends = start(options);
  ASSERT_TRUE(send_all(ends.client.get(), "LO world"));
  ::shutdown(ends.client.get(), SHUT_WR);
  EXPECT_EQ(recv_until_eof(ends.server.get()), "HELLO world");
  ends.server.reset();
  EXPECT_FALSE(get(ends.result).refused);
}

TEST_P(Relay, GateRefusalResetsTheClientAndSendsNothing) {
  RelayOptions options;
  options.gate = [](std::string_view first, bool) {
    return first.size() < 4 ? GateVerdict{GateVerdict::NeedMore, ""}
                            : GateVerdict{GateVerdict::Refuse, "bad start"};
  };
  auto ends = start(options);
  ASSERT_TRUE(send_all(ends.client.get(), "EVIL bytes"));
  int err = 0;
  EXPECT_EQ(recv_until_eof(ends.server.get(), &err), "");  // not one byte got through
  EXPECT_EQ(err, 0);
  recv_until_eof(ends.client.get(), &err);
  EXPECT_EQ(err, ECONNRESET);
  const auto r = get(ends.result);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.refusal, "bad start");
}

TEST_P(Relay, GateTimesOutOnASilentClient) {
  RelayOptions options;
  options.gate = [](std::string_view, bool) { return GateVerdict{GateVerdict::NeedMore, ""}; };
  options.gate_timeout = std::chrono::milliseconds(100);
  auto ends = start(options);
  EXPECT_TRUE(closed_within(ends.client.get(), 5000));
  EXPECT_TRUE(get(ends.result).refused);
}

TEST_P(Relay, ManyConnectionsAtOnce) {
  // 300 relayed connections, all open together, each echoing 256 KiB.
  constexpr int kConnections = 300;
  std::vector<Ends> all;
  all.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) all.push_back(start());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  // One thread per side of 30 connections each: the servers echo, the
  // clients send then read back.
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kConnections; i += 10) {
        const std::string data = pattern_bytes(256 << 10, static_cast<std::uint32_t>(i));
        std::thread echo([&] {
          const std::string in = recv_until_eof(all[i].server.get());
          send_all(all[i].server.get(), in);
          all[i].server.reset();
        });
        send_all(all[i].client.get(), data);
        ::shutdown(all[i].client.get(), SHUT_WR);
        if (recv_until_eof(all[i].client.get()) == data) ++good;
        echo.join();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kConnections);
  for (auto& e : all) get(e.result);
}

std::string mode_name(const ::testing::TestParamInfo<bool>& mode) {
  return mode.param ? "splice" : "copy";
}
INSTANTIATE_TEST_SUITE_P(Egress, Relay, ::testing::Values(true, false), mode_name);

}  // namespace
}  // namespace cordon::egress
