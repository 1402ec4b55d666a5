#pragma once
/// The result store: an SQLite database (WAL mode) holding a campaign's spec, versions and
/// every finished trial, committed as trials finish, so that a killed campaign resumes where
/// it stopped and ends with exactly the rows of an uninterrupted run.
///
/// Tables: meta(key, value) with schema_version, spec (CampaignSpec::to_text), identity
/// (CampaignSpec::identity_text), checkpoint hashes, Ares/git/LibTorch versions, platform
/// (CPU, BLAS kernel, threads: campaign::describe_platform);
/// trials(instance, config, ber_index, trial, stream, bits, faults, first_stage, errors,
/// samples, evaluated, seconds, changed, nonfinite, changed_correct, ecc_corrected,
/// ecc_detected, ecc_miscorrected, nll) keyed by the first four; baselines(instance, config,
/// checkpoint, model, dataset, float_error, baseline_error, values_count, bits, baseline_nll).
/// Schema 4; older stores read, and gain the newer columns (not recorded: -1, NULL) when
/// opened for writing.
///
/// One writer at a time: opening takes an exclusive advisory lock on PATH.lock; a second
/// process is refused with a message naming the store.

#include <memory>
#include <string>
#include <vector>

#include "ares/campaign/campaign.h"

struct sqlite3;

namespace ares::campaign {

class ResultStore {
 public:
  /// Opens (creating if needed) the store at `path` for writing. Throws ares::InputError when
  /// the store is locked by another process, not writable, corrupt, not an Ares store, or
  /// from a newer schema.
  explicit ResultStore(const std::string& path);
  /// Opens an existing store read-only (no lock): for export and report.
  static std::unique_ptr<ResultStore> open_read_only(const std::string& path);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  const std::string& path() const { return path_; }
  /// Binds the store to `spec`: an empty store records it; a store holding another campaign
  /// (its identity_text differs, or a checkpoint file changed) is refused with a message
  /// naming the first difference.
  void bind(const CampaignSpec& spec);
  /// Binds the store to a campaign given by its identity text and spec (to merge shards'
  /// stores): the same checks as bind(spec).
  void bind_identity(const std::string& identity, const CampaignSpec& spec);
  /// The stored identity ("" when none).
  std::string identity() const { return meta("identity"); }
  /// The stored spec (throws ares::InputError when the store holds none).
  CampaignSpec spec() const;
  /// Every stored trial row.
  std::vector<TrialRow> trials() const;
  /// Stored per (instance, configuration) baselines; mean_error and thresholds are empty.
  std::vector<ConfigSummary> baselines() const;
  /// Adds finished trials in one transaction.
  void add_trials(const std::vector<TrialRow>& rows);
  /// Records (or replaces) one configuration's baseline.
  void put_baseline(const ConfigSummary& summary);
  /// Records where a run computes (campaign::platform_json): the first run's as "platform";
  /// a later run that resumes on another platform adds "platform_resumed" (the latest one).
  void note_platform(const std::string& json);
  /// The first run's platform JSON ("" for stores written before it was recorded).
  std::string platform() const { return meta("platform"); }

 private:
  ResultStore(const std::string& path, bool read_only);
  void exec(const std::string& sql);
  /// Rolls back an open transaction and throws ares::InputError for SQLite error `rc`.
  [[noreturn]] void fail(int rc, const std::string& msg);
  std::string meta(const std::string& key) const;
  void set_meta(const std::string& key, const std::string& value);

  std::string path_;
  sqlite3* db_ = nullptr;
  int lock_fd_ = -1;
  int schema_ = 0;  // the open store's schema version (1: trials without outcome columns)
};

/// Content hash of a model file: an Ares checkpoint's stored FNV-1a trailer, or the FNV-1a of
/// any other file (TorchScript); "missing" if unreadable.
std::string checkpoint_hash(const std::string& path);

/// What merge_stores left in its target.
struct MergeResult {
  size_t trials = 0;    ///< trials the target holds
  size_t expected = 0;  ///< trials the campaign has
  bool complete() const { return trials >= expected; }
};

/// Joins the result stores of a campaign's shards (`ares campaign --shard I/N`, MPI ranks) into
/// `target`, created when missing. Throws ares::InputError when a shard holds no campaign or
/// another campaign than the target (or the others), or is the target itself. Rows already in
/// the target are kept; merging a shard twice changes nothing.
MergeResult merge_stores(const std::string& target, const std::vector<std::string>& shards);

/// Removes what a campaign that failed (or was stopped) before it stored anything created: the
/// store `db` with its -wal, -shm and .lock files when this run created it (`db_existed` false)
/// and it holds no trial, and the directory `out` when this run made it and it is empty. A
/// store with trials stays, to resume. Never throws (the command and the Python API call it
/// while an error is on its way out).
void remove_failed_start(const std::string& db, bool db_existed, const std::string& out,
                         bool out_existed);

}  // namespace ares::campaign
