#include <cstdio>
#include <filesystem>
#include <memory>

#include "ares/campaign/adaptive.h"
#include "ares/campaign/campaign.h"
#include "ares/campaign/store.h"
#include "ares/campaign/threads.h"
#include "ares/common/error.h"
#include "ares/common/files.h"
#include "campaign_options.h"
#include "commands.h"
#include "mpi.h"

namespace ares::cli {
namespace fs = std::filesystem;

namespace {

void print_done(const campaign::CampaignResult& result, const std::string& out) {
  std::fputs(campaign::summary_table(result).c_str(), stdout);
  std::fprintf(stderr,
               "%zu trials (%lld evaluated) in %.1fs; mean evaluated trial %.2f ms, clean "
               "forward %.2f ms; results in %s/\n",
               result.rows.size(), (long long)result.evaluated_trials, result.seconds,
               result.evaluated_trials ? 1e3 * result.eval_seconds / result.evaluated_trials : 0.0,
               1e3 * result.clean_forward_seconds, out.c_str());
}

}  // namespace

namespace {

// Merges `shards` into OUT/campaign.db; when it then holds every trial, writes the results and
// prints the table (`ares merge`, and rank 0 after an MPI campaign).
int merge_into(const std::string& out, const std::vector<std::string>& shards) {
  std::error_code ec;
  fs::create_directories(out, ec);
  ARES_CHECK(!ec, out, ": cannot create output directory");
  const std::string db = (fs::path(out) / "campaign.db").string();
  const auto merged = campaign::merge_stores(db, shards);
  if (!merged.complete()) {
    std::fprintf(stderr, "merge: %s holds %zu of %zu trials; merge the missing shards too\n",
                 db.c_str(), merged.trials, merged.expected);
    return 0;
  }
  auto store = campaign::ResultStore::open_read_only(db);
  auto result = campaign::load_result(*store);
  campaign::write_results(result, out);
  std::fputs(campaign::summary_table(result).c_str(), stdout);
  return 0;
}

}  // namespace

int cmd_campaign(const std::vector<std::string>& argv) {
  auto flags = campaign_flags();
  flags.insert({"store", "resume", "shard", "precision", "budget"});
  // A --spec file is read first; flags given on the command line override its values.
  Args args("campaign", argv, flags, {"help", "quiet", "find-thresholds"});
  if (args.has("help")) {
    std::printf(
        "usage: ares campaign [CHECKPOINT...] [options]\n"
        "       ares campaign --resume STORE.db [--threads T] [--quiet]\n\n"
        "Sweeps bit error rates over the weights of each checkpoint in each format,\n"
        "commits every finished trial to a result store (SQLite), writes\n"
        "OUT/trials.csv, OUT/summary.csv and OUT/summary.json, and prints the\n"
        "highest tolerable BER per degradation level. Rerunning the same command, or\n"
        "--resume STORE, runs only the trials the store does not hold yet.\n\n%s"
        "  --store FILE        result store (default OUT/campaign.db; OUT defaults to\n"
        "                      results/campaign)\n"
        "  --resume FILE       continue the campaign held in this store\n"
        "  --shard I/N         run only shard I of N (0 <= I < N) into its own store,\n"
        "                      OUT/campaign.shard-I-of-N.db; 'ares merge' joins them\n"
        "  --quiet             no progress on stderr\n"
        "  --find-thresholds   adaptive search instead of the grid: a coarse pass over the\n"
        "                      --ber-min..--ber-max range (13 BERs x 5 trials), then more\n"
        "                      BERs and trials only where a level's curve crosses its\n"
        "                      bound, until every 95%% interval is within --precision;\n"
        "                      rounds in OUT/round-R/CONFIG/ (each a resumable campaign),\n"
        "                      the thresholds in OUT/thresholds.csv\n"
        "  --precision F       target hi/lo of each interval (default 1.25)\n"
        "  --budget N          trials per instance and configuration, all rounds (default\n"
        "                      250)\n",
        campaign_flags_help().c_str());
    return 0;
  }
  campaign::CampaignSpec spec;
  std::string out, db;
  if (auto resume = args.get("resume")) {
    ARES_CHECK(fs::is_regular_file(*resume), *resume, ": no such result store");
    db = *resume;
    spec = campaign::ResultStore::open_read_only(db)->spec();
    spec.threads = int(args.get_int("threads", campaign::available_cores()));
    spec.progress = !args.has("quiet");
    spec.validate();
    out = args.get_or("out", fs::path(db).parent_path().empty()
                                 ? std::string(".")
                                 : fs::path(db).parent_path().string());
  } else {
    const auto settings = settings_from_args(args);
    spec = campaign::build_spec(settings);
    spec.progress = !args.has("quiet");
    auto* given_out = settings.find("out");
    out = given_out ? given_out->text : "results/campaign";
    std::string name = "campaign.db";
    if (auto shard = args.get("shard")) {
      auto slash = shard->find('/');
      ARES_CHECK(slash != std::string::npos, "campaign: --shard expects I/N, got '", *shard, "'");
      spec.shard_index = int(args.parse_double(shard->substr(0, slash), "--shard"));
      spec.shard_count = int(args.parse_double(shard->substr(slash + 1), "--shard"));
      spec.validate();
      name = "campaign.shard-" + std::to_string(spec.shard_index) + "-of-" +
             std::to_string(spec.shard_count) + ".db";
    }
    if (mpi_active()) {
      // mpirun -np N: rank R runs shard R/N into its own store; rank 0 merges them below.
      ARES_CHECK(!args.has("shard"), "campaign: --shard and mpirun do not combine");
      spec.shard_index = mpi_rank();
      spec.shard_count = mpi_size();
      spec.progress = spec.progress && mpi_rank() == 0;
      spec.validate();
      name = "campaign.shard-" + std::to_string(spec.shard_index) + "-of-" +
             std::to_string(spec.shard_count) + ".db";
    }
    db = args.get_or("store", (fs::path(out) / name).string());
  }
  for (const auto& c : spec.checkpoints) {
    ARES_CHECK(fs::is_regular_file(c), c, ": no such checkpoint file");
  }
  if (args.has("find-thresholds")) {
    ARES_CHECK(!args.has("resume") && !args.has("shard") && !args.has("store") && !mpi_active(),
               "campaign: --find-thresholds makes its own stores (rerun the same command to "
               "resume); --resume, --shard, --store and mpirun do not combine with it");
    campaign::SearchOptions search;
    search.precision = args.get_double("precision", search.precision);
    search.budget = args.get_int("budget", search.budget);
    const auto found = campaign::find_thresholds(spec, search, out);
    const std::string csv = (fs::path(out) / "thresholds.csv").string();
    write_file_atomic(csv, campaign::search_csv(spec, found));
    std::fputs(campaign::search_table(spec, found).c_str(), stdout);
    if (spec.progress) std::fprintf(stderr, "find-thresholds: wrote %s\n", csv.c_str());
    return 0;
  }
  ARES_CHECK(!args.has("precision") && !args.has("budget"),
             "campaign: --precision and --budget belong to --find-thresholds");
  bool out_existed = fs::exists(out), db_existed = fs::exists(db);
  try {
    std::error_code ec;
    if (fs::path(db).has_parent_path()) fs::create_directories(fs::path(db).parent_path(), ec);
    campaign::CampaignResult result;
    {
      campaign::ResultStore store(db);
      result = campaign::run_campaign(spec, &store);
    }
    if (result.partial && mpi_active()) {
      mpi_barrier();  // every shard is stored
      if (mpi_rank() != 0) return 0;
      std::vector<std::string> shards;
      shards.reserve(size_t(mpi_size()));
      for (int r = 0; r < mpi_size(); ++r) {
        shards.push_back((fs::path(out) / ("campaign.shard-" + std::to_string(r) + "-of-" +
                                           std::to_string(mpi_size()) + ".db"))
                             .string());
      }
      return merge_into(out, shards);
    }
    if (result.partial) {
      std::fprintf(stderr,
                   "shard %d/%d done: its trials are in %s; run 'ares merge --out DIR' on the "
                   "stores of all %d shards\n",
                   spec.shard_index, spec.shard_count, db.c_str(), spec.shard_count);
      return 0;
    }
    campaign::write_results(result, out);
    print_done(result, out);
  } catch (...) {
    campaign::remove_failed_start(db, db_existed, out, out_existed);
    throw;
  }
  return 0;
}

int cmd_export(const std::vector<std::string>& argv) {
  Args args("export", argv, {"out"}, {"help"});
  if (args.has("help")) {
    std::printf(
        "usage: ares export STORE.db [--out DIR]\n\n"
        "Writes trials.csv, summary.csv and summary.json from a finished campaign's result\n"
        "store (default DIR: the store's directory) and prints the summary table.\n");
    return 0;
  }
  ARES_CHECK(args.positional().size() == 1, "export: expected one result store, got ",
             args.positional().size());
  std::string db = args.positional()[0];
  auto store = campaign::ResultStore::open_read_only(db);
  auto result = campaign::load_result(*store);
  std::string out =
      args.get_or("out", fs::path(db).parent_path().empty() ? std::string(".")
                                                            : fs::path(db).parent_path().string());
  campaign::write_results(result, out);
  std::fputs(campaign::summary_table(result).c_str(), stdout);
  return 0;
}

int cmd_merge(const std::vector<std::string>& argv) {
  Args args("merge", argv, {"out"}, {"help"});
  if (args.has("help")) {
    std::printf(
        "usage: ares merge --out DIR SHARD.db [SHARD.db...]\n\n"
        "Joins the result stores of a campaign's shards (ares campaign --shard I/N) into\n"
        "DIR/campaign.db, refusing stores of another campaign; when the merged store holds\n"
        "every trial, writes DIR/trials.csv, summary.csv, summary.json and prints the table.\n");
    return 0;
  }
  ARES_CHECK(args.has("out"), "merge: --out DIR is required");
  return merge_into(*args.get("out"), args.positional());
}

}  // namespace ares::cli
