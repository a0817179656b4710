#pragma once

// The public HTTP/1.1 JSON API of caselink-ingress on Boost.Beast (Beast stays inside
// server.cc). A fixed pool of `api.threads` threads runs one io_context; every connection
// lives on its own strand and never blocks a thread while it waits: reads and writes are
// asynchronous with deadlines (beast::tcp_stream::expires_after), and a publish hands the
// record to the idempotent producer and resumes on the connection's strand when the broker's
// delivery report arrives. 202 is only ever sent after that report said "stored".

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "services/lib/core/clock.h"
#include "services/lib/core/record.h"
#include "services/lib/core/result.h"
#include "services/lib/kafka/producer.h"
#include "services/lib/metrics/registry.h"
#include "services/daemons/evidence/blob_store.h"
#include "services/daemons/ingress/case_state.h"
#include "services/daemons/ingress/settings.h"
#include "services/daemons/standards/engine/rule.h"

namespace caselink::ingress {

// Queues a record; `done` runs (on any thread) once the broker acknowledged it or it failed.
// An immediate error (local queue full, topic refused) is returned instead. In production
// this is IdempotentProducer::send_async.
using Publisher = std::function<Status(const OutgoingRecord&, kafka::DeliveryCallback)>;

struct IngressDependencies {
  const IngressSettings& settings;
  const Clock& clock;
  metrics::Registry& registry;
  Publisher publish;
  evidence::BlobStore& blobs;
  CaseStateView& cases;
  // Fact catalogue the facts of referrals and penalty records are checked against (null = none).
  const standards::Catalogue* facts = nullptr;
};

class IngressServer {
 public:
  explicit IngressServer(IngressDependencies deps);
  ~IngressServer();  // stop()
  IngressServer(const IngressServer&) = delete;
  IngressServer& operator=(const IngressServer&) = delete;

  // Binds api.bind:api.port and starts the thread pool; returns the bound port or an error
  // naming the address.
  Result<uint16_t> start();
  // Closes the listening socket; open connections go on (drain before stop()).
  void stop_accepting();
  // Shut-down, step one: stops accepting, answers every new request on an open connection 503
  // `server.shutting_down` (and closes it), and waits until every request in flight has been
  // answered — a POST is answered within kafka.message_timeout_ms (202 when acknowledged, 503
  // otherwise) — at most `timeout`. False when requests were still in flight then.
  bool drain(std::chrono::milliseconds timeout);
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void stop();

  struct Impl;  // defined in server.cc (connections reach it); not usable outside

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace caselink::ingress
