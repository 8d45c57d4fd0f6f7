#include "catalog/row_stream.h"

#include <spdlog/spdlog.h>

#include "common/threads.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace recsync {
namespace {

// Rows copied out of one connection's buffer, handed over as a whole.
struct RowChunk {
  struct Row {
    int64_t id;
    int64_t start;
    size_t offset;  // of the filepath in `bytes`
    size_t size;
  };
  std::vector<Row> rows;
  std::string bytes;
};

// One span as read so far by the connection that took it.
struct SpanRows {
  std::deque<RowChunk> chunks;
  size_t counted_ahead = 0;  // of chunks, those pushed before the caller reached it
  bool complete = false;
  Status error;  // why the span ended early; Ok when it was read whole
};

// What the reading threads and the caller share. Spans are numbered in id
// order as they are taken; the caller reads them in that order.
class SharedRead {
 public:
  SharedRead(int64_t after_id, int64_t top, const RowStreamOptions& options)
      : options_(options), top_(top), planned_(after_id) {}

  // One reading thread's loop: takes the next span, reads it, repeats.
  // Only the first reader (0) goes on once one_reader is set; a span it has not
  // taken yet comes after every span the others hold, so none is left out.
  void Read(Catalog& catalog, size_t reader) {
    for (;;) {
      size_t index = 0;
      IdSpan span;
      if (reader > 0 && options_.one_reader && options_.one_reader->load()) return;
      if (!Take(catalog, &index, &span)) return;
      if (options_.spans_read) (*options_.spans_read)[reader].fetch_add(1);
      RowChunk chunk = NewChunk();
      bool pushed = true;
      Status read = catalog.StreamSpan(span, top_, [&](const MediaRowView& row) {
        chunk.rows.push_back({row.id, row.start, chunk.bytes.size(), row.filepath.size()});
        chunk.bytes.append(row.filepath);
        if (chunk.rows.size() < options_.chunk_rows) return true;
        pushed = Push(index, std::move(chunk));
        chunk = NewChunk();
        return pushed;
      });
      if (pushed && !chunk.rows.empty()) pushed = Push(index, std::move(chunk));
      if (!End(index, std::move(read), pushed)) return;
    }
  }

  // The caller's side: every row of every span, in order. See the header.
  Status Deliver(const std::function<bool(const MediaRowView& row)>& fn) {
    for (size_t index = 0;; ++index) {
      Begin(index);
      for (;;) {
        RowChunk chunk;
        std::unique_lock lock(mu_);
        changed_.wait(lock, [&] {
          auto it = spans_.find(index);
          if (it == spans_.end()) return plan_done_ && index >= taken_;
          return !it->second.chunks.empty() || it->second.complete;
        });
        auto it = spans_.find(index);
        if (it == spans_.end()) return plan_error_;  // no span left: the end
        SpanRows& span = it->second;
        if (span.chunks.empty()) {
          Status error = std::move(span.error);
          spans_.erase(it);
          if (!error.ok()) return error;
          break;  // on to the next span
        }
        chunk = std::move(span.chunks.front());
        span.chunks.pop_front();
        lock.unlock();
        for (const RowChunk::Row& r : chunk.rows) {
          const MediaRowView view{r.id, r.start,
                                  std::string_view(chunk.bytes).substr(r.offset, r.size), top_};
          if (!fn(view)) return Status::Ok();
        }
      }
    }
  }

  // Tells the reading threads to leave; they notice before their next chunk.
  void Stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
    changed_.notify_all();
  }

 private:
  RowChunk NewChunk() const {
    RowChunk chunk;
    chunk.rows.reserve(options_.chunk_rows);
    chunk.bytes.reserve(options_.chunk_rows * 64);  // a Bluecherry path is about 60 bytes
    return chunk;
  }

  // Takes the next span in id order; false when there is none or the read
  // is over. The lookup runs under plan_mu_ so that spans are numbered in the
  // order of their ids, and not under mu_, which the caller needs meanwhile.
  bool Take(Catalog& catalog, size_t* index, IdSpan* span) {
    std::lock_guard plan(plan_mu_);
    {
      std::lock_guard lock(mu_);
      if (stop_ || plan_done_) return false;
    }
    auto next = catalog.NextIdSpan(planned_, top_, options_.span_ids);
    std::lock_guard lock(mu_);
    changed_.notify_all();
    if (!next.ok() || !*next) {
      plan_done_ = true;
      if (!next.ok()) plan_error_ = next.status();
      return false;
    }
    *span = **next;
    planned_ = span->upto;
    *index = taken_++;
    spans_[*index];
    return !stop_;
  }

  // Adds a chunk to span `index`, waiting while the spans ahead of the
  // caller's hold their share; false when the read is over.
  bool Push(size_t index, RowChunk chunk) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] {
      return stop_ || index == reading_ || ahead_ < options_.ahead_chunks;
    });
    if (stop_) return false;
    SpanRows& span = spans_[index];
    if (index != reading_) {
      ++ahead_;
      ++span.counted_ahead;
    }
    span.chunks.push_back(std::move(chunk));
    changed_.notify_all();
    return true;
  }

  // Marks span `index` read; false when this thread is to stop taking spans.
  bool End(size_t index, Status read, bool pushed) {
    std::lock_guard lock(mu_);
    SpanRows& span = spans_[index];
    span.complete = true;
    const bool failed = !read.ok();
    span.error = std::move(read);
    changed_.notify_all();
    return pushed && !failed && !stop_;
  }

  // The caller moves on to span `index`: its chunks no longer count as ahead.
  void Begin(size_t index) {
    std::lock_guard lock(mu_);
    reading_ = index;
    if (auto it = spans_.find(index); it != spans_.end()) {
      ahead_ -= it->second.counted_ahead;
      it->second.counted_ahead = 0;
    }
    changed_.notify_all();
  }

  const RowStreamOptions options_;
  const int64_t top_;

  std::mutex plan_mu_;
  int64_t planned_;  // the spans taken cover every id up to here

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<size_t, SpanRows> spans_;  // taken and not yet read by the caller
  size_t taken_ = 0;                  // spans numbered so far
  bool plan_done_ = false;            // no span is left to take
  Status plan_error_;                 // why, when not because all were taken
  size_t reading_ = 0;                // the span the caller reads
  size_t ahead_ = 0;                  // chunks waiting in spans after reading_
  bool stop_ = false;
};

// Joins the reading threads on every way out, after telling them to stop.
class ReadingThreads {
 public:
  explicit ReadingThreads(SharedRead& shared) : shared_(shared) {}
  ~ReadingThreads() {
    shared_.Stop();
    for (auto& t : threads_) t.join();
  }
  ReadingThreads(const ReadingThreads&) = delete;
  ReadingThreads& operator=(const ReadingThreads&) = delete;
  // False when no thread could be started for it: the other readers (or
  // the caller, reading alone) take its spans.
  bool Start(Catalog& catalog) {
    const size_t reader = threads_.size();
    auto started = StartThread("recsync-rows", [this, &catalog, reader] {
      shared_.Read(catalog, reader);
    });
    if (!started.ok()) {
      spdlog::warn("{}", started.status().message());
      return false;
    }
    threads_.push_back(std::move(*started));
    return true;
  }
  size_t started() const { return threads_.size(); }

 private:
  SharedRead& shared_;
  std::vector<std::thread> threads_;
};

}  // namespace

Status StreamActiveRowsOn(const std::vector<Catalog*>& readers, int64_t after_id,
                          const RowStreamOptions& options,
                          const std::function<bool(const MediaRowView& row)>& fn) {
  if (readers.empty()) return Status(Code::kInvalid, "reading active Media rows: no connection");
  if (readers.size() == 1) return readers[0]->StreamActiveRows(after_id, fn);
  auto top = readers[0]->MaxMediaId();
  if (!top.ok()) return top.status();
  if (options.spans_read && options.spans_read->size() < readers.size()) {
    return Status(Code::kInvalid, "reading active Media rows: spans_read has too few counters");
  }
  RowStreamOptions checked = options;
  checked.span_ids = std::max<int64_t>(1, options.span_ids);
  checked.chunk_rows = std::max<size_t>(1, options.chunk_rows);
  SharedRead shared(after_id, *top, checked);
  {
    ReadingThreads threads(shared);
    for (Catalog* catalog : readers) {
      if (!threads.Start(*catalog)) break;
    }
    if (threads.started() > 0) return shared.Deliver(fn);
  }
  // Not a single thread: read on this one.
  return readers[0]->StreamActiveRows(after_id, fn);
}

}  // namespace recsync
