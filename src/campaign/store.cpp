#include "ares/campaign/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <torch/version.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "ares/common/error.h"
#include "ares/common/version.h"

namespace ares::campaign {
namespace {

// 1: the first; 2: trials gained the outcome classes (changed, nonfinite, changed_correct);
// 3: trials gained the codeword counts of code protections (ecc_corrected, ecc_detected,
// ecc_miscorrected); 4: trials gained the NLL (nll), baselines the clean one (baseline_nll).
constexpr int kSchemaVersion = 4;
constexpr const char* kMarker = "ares-campaign-store";

// Finalizes a prepared statement on scope exit.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// A REAL column that may hold NaN: SQLite has no NaN and stores NULL for it.
void bind_real_or_null(sqlite3_stmt* s, int col, double v) {
  if (std::isnan(v)) {
    sqlite3_bind_null(s, col);
  } else {
    sqlite3_bind_double(s, col, v);
  }
}
double real_or_nan(sqlite3_stmt* s, int col) {
  return sqlite3_column_type(s, col) == SQLITE_NULL ? std::nan("") : sqlite3_column_double(s, col);
}

std::string first_difference(const std::string& stored, const std::string& now) {
  // By key, not by line: a key written only when not at its default (param_kind, bits) is
  // absent on one side rather than shifting every later line.
  auto parse = [](const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      auto eq = l.find('=');
      out.emplace_back(l.substr(0, eq), eq == std::string::npos ? "" : l.substr(eq + 1));
    }
    return out;
  };
  const auto a = parse(stored), b = parse(now);
  auto find = [](const std::vector<std::pair<std::string, std::string>>& kv,
                 const std::string& key) -> const std::string* {
    for (const auto& p : kv) {
      if (p.first == key) return &p.second;
    }
    return nullptr;
  };
  auto describe = [](const std::string& key, const std::string* there, const std::string* here) {
    auto value = [](const std::string* v) { return v ? *v : std::string("(absent)"); };
    return key + " is '" + value(there) + "' there but '" + value(here) + "' here";
  };
  for (const auto& p : a) {
    const std::string* here = find(b, p.first);
    if (!here || *here != p.second) return describe(p.first, &p.second, here);
  }
  for (const auto& p : b) {
    if (!find(a, p.first)) return describe(p.first, nullptr, &p.second);
  }
  return "";
}

}  // namespace

MergeResult merge_stores(const std::string& target, const std::vector<std::string>& shards) {
  ARES_CHECK(!shards.empty(), "merge: no shard store given");
  {
    ResultStore merged(target);
    for (const auto& path : shards) {
      ARES_CHECK(std::filesystem::absolute(path) != std::filesystem::absolute(target), path,
                 ": is the merge target itself");
      auto shard = ResultStore::open_read_only(path);
      const std::string identity = shard->identity();
      ARES_CHECK(!identity.empty(), path, ": holds no campaign");
      merged.bind_identity(identity, shard->spec());
      merged.add_trials(shard->trials());
      for (const auto& b : shard->baselines()) merged.put_baseline(b);
    }
  }
  auto store = ResultStore::open_read_only(target);
  const auto spec = store->spec();
  MergeResult out;
  out.trials = store->trials().size();
  out.expected =
      spec.checkpoints.size() * spec.configs.size() * spec.bers.size() * size_t(spec.trials);
  return out;
}

std::string checkpoint_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() < 8) return "missing";
  char magic[8] = {};
  in.seekg(0);
  in.read(magic, 8);
  uint64_t h = 0;
  if (std::memcmp(magic, "ARESCKPT", 8) == 0) {
    in.seekg(-8, std::ios::end);  // an Ares checkpoint ends with the hash of its content
    in.read(reinterpret_cast<char*>(&h), 8);
  } else {  // any other model file (TorchScript): FNV-1a of every byte
    in.seekg(0);
    h = 1469598103934665603ull;
    for (char c; in.get(c);) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

ResultStore::ResultStore(const std::string& path) : ResultStore(path, false) {}

std::unique_ptr<ResultStore> ResultStore::open_read_only(const std::string& path) {
  ARES_CHECK(std::filesystem::is_regular_file(path), path, ": no such result store");
  return std::unique_ptr<ResultStore>(new ResultStore(path, true));
}

ResultStore::ResultStore(const std::string& path, bool read_only) : path_(path) {
  if (!read_only) {
    std::string lock = path + ".lock";
    lock_fd_ = ::open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    ARES_CHECK(lock_fd_ >= 0, path, ": cannot create the lock file ", lock, " (",
               std::strerror(errno), ")");
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
      throw InputError(path + ": in use by another ares process (lock " + lock +
                       "); wait for it to finish or use another --out");
    }
  }
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  try {
    ARES_CHECK(rc == SQLITE_OK, path, ": cannot open result store (", sqlite3_errstr(rc), ")");
    sqlite3_busy_timeout(db_, 5000);
    // A file that is not a database fails on its first read.
    rc = sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    ARES_CHECK(rc == SQLITE_OK, path, ": not a result store (", sqlite3_errmsg(db_), ")");
    bool has_meta = false;
    {
      Stmt q;  // finalized before any pragma: an open statement is an open transaction
      sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'", -1, &q.s,
                         nullptr);
      has_meta = sqlite3_step(q.s) == SQLITE_ROW && sqlite3_column_int(q.s, 0) > 0;
    }
    if (has_meta) {
      ARES_CHECK(meta("format") == kMarker, path, ": an SQLite database but not an Ares store");
      int version = std::atoi(meta("schema_version").c_str());
      ARES_CHECK(version <= kSchemaVersion, path, ": store schema version ", version,
                 " is newer than this Ares reads (", kSchemaVersion, "); use a newer Ares");
      schema_ = version;
    } else {
      bool empty = false;
      {
        Stmt any;
        sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_master", -1, &any.s, nullptr);
        empty = sqlite3_step(any.s) == SQLITE_ROW && sqlite3_column_int(any.s, 0) == 0;
      }
      ARES_CHECK(empty, path, ": an SQLite database but not an Ares store");
      ARES_CHECK(!read_only, path, ": empty result store");
    }
    if (!read_only) {
      ARES_CHECK(sqlite3_db_readonly(db_, "main") == 0, path, ": result store is read-only");
      exec("PRAGMA journal_mode=WAL");
      // FULL: a committed trial survives a power loss, not only a killed process.
      exec("PRAGMA synchronous=FULL");
      if (!has_meta) {
        exec("BEGIN IMMEDIATE");
        exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        exec(
            "CREATE TABLE trials(instance INTEGER, config INTEGER, ber_index INTEGER,"
            " trial INTEGER, stream INTEGER, bits INTEGER, faults INTEGER,"
            " first_stage INTEGER, errors INTEGER, samples INTEGER, evaluated INTEGER,"
            " seconds REAL, changed INTEGER DEFAULT -1, nonfinite INTEGER DEFAULT -1,"
            " changed_correct INTEGER DEFAULT -1, ecc_corrected INTEGER DEFAULT -1,"
            " ecc_detected INTEGER DEFAULT -1, ecc_miscorrected INTEGER DEFAULT -1,"
            " nll REAL, PRIMARY KEY(instance, config, ber_index, trial))");
        exec(
            "CREATE TABLE baselines(instance INTEGER, config INTEGER, checkpoint TEXT,"
            " model TEXT, dataset TEXT, float_error REAL, baseline_error REAL,"
            " values_count INTEGER, bits INTEGER, baseline_nll REAL,"
            " PRIMARY KEY(instance, config))");
        set_meta("format", kMarker);
        set_meta("schema_version", std::to_string(kSchemaVersion));
        exec("COMMIT");
        schema_ = kSchemaVersion;
      } else if (schema_ < kSchemaVersion) {
        // An older store resumes: its trials keep -1 (not recorded) for the columns added
        // since (schema 2: the outcomes; schema 3: the codeword counts; schema 4: the NLL).
        exec("BEGIN IMMEDIATE");
        if (schema_ < 2) {
          for (const char* col : {"changed", "nonfinite", "changed_correct"}) {
            exec(std::string("ALTER TABLE trials ADD COLUMN ") + col + " INTEGER DEFAULT -1");
          }
        }
        if (schema_ < 3) {
          for (const char* col : {"ecc_corrected", "ecc_detected", "ecc_miscorrected"}) {
            exec(std::string("ALTER TABLE trials ADD COLUMN ") + col + " INTEGER DEFAULT -1");
          }
        }
        // Schema 4: the NLL, NULL (read as NaN: not recorded) in the older rows.
        exec("ALTER TABLE trials ADD COLUMN nll REAL");
        exec("ALTER TABLE baselines ADD COLUMN baseline_nll REAL");
        set_meta("schema_version", std::to_string(kSchemaVersion));
        exec("COMMIT");
        schema_ = kSchemaVersion;
      }
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
    throw;
  }
}

ResultStore::~ResultStore() {
  if (db_) sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

void ResultStore::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return;
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  fail(rc, msg);
}

void ResultStore::fail(int rc, const std::string& msg) {
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  int primary = rc & 0xFF;
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
    throw InputError(path_ + ": cannot write the result store (" + msg +
                     "; disk full?); the trials committed so far are kept: free space and "
                     "rerun to resume");
  }
  throw InputError(path_ + ": result store error (" + msg + ")");
}

std::string ResultStore::meta(const std::string& key) const {
  Stmt q;
  sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = ?", -1, &q.s, nullptr);
  sqlite3_bind_text(q.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(q.s) != SQLITE_ROW) return "";
  const unsigned char* v = sqlite3_column_text(q.s, 0);
  return v ? reinterpret_cast<const char*>(v) : "";
}

void ResultStore::set_meta(const std::string& key, const std::string& value) {
  Stmt q;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &q.s,
                     nullptr);
  sqlite3_bind_text(q.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q.s, 2, value.c_str(), -1, SQLITE_TRANSIENT);
  if (int rc = sqlite3_step(q.s); rc != SQLITE_DONE) fail(rc, sqlite3_errmsg(db_));
}

void ResultStore::note_platform(const std::string& json) {
  const std::string first = meta("platform");
  if (first == json) return;
  exec("BEGIN IMMEDIATE");
  set_meta(first.empty() ? "platform" : "platform_resumed", json);
  exec("COMMIT");
}

void ResultStore::bind(const CampaignSpec& spec) {
  std::string identity = spec.identity_text();
  for (size_t i = 0; i < spec.checkpoints.size(); ++i) {
    identity +=
        "checkpoint_hash_" + std::to_string(i) + "=" + checkpoint_hash(spec.checkpoints[i]) + "\n";
  }
  bind_identity(identity, spec);
}

void ResultStore::bind_identity(const std::string& identity, const CampaignSpec& spec) {
  std::string stored = meta("identity");
  if (!stored.empty()) {
    std::string diff = first_difference(stored, identity);
    ARES_CHECK(diff.empty(), path_, ": holds another campaign: ", diff,
               " (use another --out, or delete the store to start over)");
    return;
  }
  exec("BEGIN IMMEDIATE");
  set_meta("identity", identity);
  set_meta("spec", spec.to_text());
  set_meta("ares_version", ares::version());
  set_meta("git_revision", ares::git_revision());
  set_meta("libtorch_version", TORCH_VERSION);
  exec("COMMIT");
}

CampaignSpec ResultStore::spec() const {
  std::string text = meta("spec");
  ARES_CHECK(!text.empty(), path_, ": the store holds no campaign yet");
  return CampaignSpec::from_text(text);
}

std::vector<TrialRow> ResultStore::trials() const {
  Stmt q;
  // A read-only store of an older schema lacks the later columns: -1 (not recorded) for the
  // counts, NULL (NaN) for the NLL.
  const std::string sql =
      std::string(
          "SELECT instance, config, ber_index, trial, stream, bits, faults, first_stage,"
          " errors, samples, evaluated, seconds, ") +
      (schema_ >= 2 ? "changed, nonfinite, changed_correct, " : "-1, -1, -1, ") +
      (schema_ >= 3 ? "ecc_corrected, ecc_detected, ecc_miscorrected, " : "-1, -1, -1, ") +
      (schema_ >= 4 ? "nll" : "NULL") + " FROM trials ORDER BY instance, config, ber_index, trial";
  sqlite3_prepare_v2(db_, sql.c_str(), -1, &q.s, nullptr);
  std::vector<TrialRow> out;
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    TrialRow r;
    r.instance = sqlite3_column_int(q.s, 0);
    r.config = sqlite3_column_int(q.s, 1);
    r.ber_index = sqlite3_column_int(q.s, 2);
    r.trial = sqlite3_column_int(q.s, 3);
    r.stream = uint64_t(sqlite3_column_int64(q.s, 4));
    r.bits = uint64_t(sqlite3_column_int64(q.s, 5));
    r.faults = uint64_t(sqlite3_column_int64(q.s, 6));
    r.first_stage = sqlite3_column_int(q.s, 7);
    r.errors = sqlite3_column_int64(q.s, 8);
    r.samples = sqlite3_column_int64(q.s, 9);
    r.evaluated = sqlite3_column_int(q.s, 10) != 0;
    r.seconds = sqlite3_column_double(q.s, 11);
    r.changed = sqlite3_column_int64(q.s, 12);
    r.nonfinite = sqlite3_column_int64(q.s, 13);
    r.changed_correct = sqlite3_column_int64(q.s, 14);
    r.ecc_corrected = sqlite3_column_int64(q.s, 15);
    r.ecc_detected = sqlite3_column_int64(q.s, 16);
    r.ecc_miscorrected = sqlite3_column_int64(q.s, 17);
    r.nll = real_or_nan(q.s, 18);
    out.push_back(r);
  }
  return out;
}

std::vector<ConfigSummary> ResultStore::baselines() const {
  Stmt q;
  const std::string sql = std::string(
                              "SELECT instance, config, checkpoint, model, dataset, float_error,"
                              " baseline_error, values_count, bits, ") +
                          (schema_ >= 4 ? "baseline_nll" : "NULL") +
                          " FROM baselines ORDER BY instance, config";
  sqlite3_prepare_v2(db_, sql.c_str(), -1, &q.s, nullptr);
  std::vector<ConfigSummary> out;
  auto text = [&](int col) {
    const unsigned char* v = sqlite3_column_text(q.s, col);
    return std::string(v ? reinterpret_cast<const char*>(v) : "");
  };
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    ConfigSummary s;
    s.instance = sqlite3_column_int(q.s, 0);
    s.config = sqlite3_column_int(q.s, 1);
    s.checkpoint = text(2);
    s.model = text(3);
    s.dataset = text(4);
    s.float_error = sqlite3_column_double(q.s, 5);
    s.baseline_error = sqlite3_column_double(q.s, 6);
    s.values = uint64_t(sqlite3_column_int64(q.s, 7));
    s.bits = uint64_t(sqlite3_column_int64(q.s, 8));
    s.baseline_nll = real_or_nan(q.s, 9);
    out.push_back(s);
  }
  return out;
}

void ResultStore::add_trials(const std::vector<TrialRow>& rows) {
  if (rows.empty()) return;
  exec("BEGIN IMMEDIATE");
  Stmt q;
  sqlite3_prepare_v2(
      db_,
      "INSERT OR REPLACE INTO trials VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
      " ?)",
      -1, &q.s, nullptr);
  for (const auto& r : rows) {
    sqlite3_reset(q.s);
    sqlite3_bind_int(q.s, 1, r.instance);
    sqlite3_bind_int(q.s, 2, r.config);
    sqlite3_bind_int(q.s, 3, r.ber_index);
    sqlite3_bind_int(q.s, 4, r.trial);
    sqlite3_bind_int64(q.s, 5, int64_t(r.stream));
    sqlite3_bind_int64(q.s, 6, int64_t(r.bits));
    sqlite3_bind_int64(q.s, 7, int64_t(r.faults));
    sqlite3_bind_int(q.s, 8, r.first_stage);
    sqlite3_bind_int64(q.s, 9, r.errors);
    sqlite3_bind_int64(q.s, 10, r.samples);
    sqlite3_bind_int(q.s, 11, r.evaluated ? 1 : 0);
    sqlite3_bind_double(q.s, 12, r.seconds);
    sqlite3_bind_int64(q.s, 13, r.changed);
    sqlite3_bind_int64(q.s, 14, r.nonfinite);
    sqlite3_bind_int64(q.s, 15, r.changed_correct);
    sqlite3_bind_int64(q.s, 16, r.ecc_corrected);
    sqlite3_bind_int64(q.s, 17, r.ecc_detected);
    sqlite3_bind_int64(q.s, 18, r.ecc_miscorrected);
    bind_real_or_null(q.s, 19, r.nll);
    if (int rc = sqlite3_step(q.s); rc != SQLITE_DONE) fail(rc, sqlite3_errmsg(db_));
  }
  exec("COMMIT");
}

void ResultStore::put_baseline(const ConfigSummary& s) {
  Stmt q;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO baselines VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     -1, &q.s, nullptr);
  sqlite3_bind_int(q.s, 1, s.instance);
  sqlite3_bind_int(q.s, 2, s.config);
  sqlite3_bind_text(q.s, 3, s.checkpoint.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q.s, 4, s.model.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(q.s, 5, s.dataset.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(q.s, 6, s.float_error);
  sqlite3_bind_double(q.s, 7, s.baseline_error);
  sqlite3_bind_int64(q.s, 8, int64_t(s.values));
  sqlite3_bind_int64(q.s, 9, int64_t(s.bits));
  bind_real_or_null(q.s, 10, s.baseline_nll);
  if (int rc = sqlite3_step(q.s); rc != SQLITE_DONE) fail(rc, sqlite3_errmsg(db_));
}

void remove_failed_start(const std::string& db, bool db_existed, const std::string& out,
                         bool out_existed) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!db_existed) {
    bool empty = true;
    try {
      empty = ResultStore::open_read_only(db)->trials().empty();
    } catch (const std::exception&) {
    }
    if (empty) {
      for (const char* suffix : {"", "-wal", "-shm", ".lock"}) fs::remove(db + suffix, ec);
    }
  }
  if (!out_existed && fs::is_directory(out, ec) && fs::is_empty(out, ec)) fs::remove(out, ec);
}

}  // namespace ares::campaign
