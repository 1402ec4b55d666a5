#pragma once
// Hand-made campaign output directories for the analysis tests.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace ares::analysis::testing {

/// A fresh, empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("ares_analysis_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
             info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

/// A campaign: configurations x instances x BERs x trials; errors/samples with 1000 samples.
struct FakeCampaign {
  struct Config {
    std::string format, protection;
  };
  std::string model = "mnist_fc";
  std::vector<Config> configs = {{"q2.6-2c", "none"}, {"q2.6-sm", "none"}};
  std::vector<double> bers = {1e-6, 1e-5, 1e-4, 1e-3};
  int instances = 2;
  int trials = 2;
  std::vector<std::string> targets = {"*"};
  bool json = true;
  /// baseline(instance, config) in [0, 1].
  std::function<double(int, int)> baseline = [](int, int) { return 0.1; };
  /// error(instance, config, ber_index, trial) in [0, 1]; rounded to 1/1000.
  std::function<double(int, int, int, int)> error = [](int, int, int, int) { return 0.1; };
  /// With it: trials.csv has the outcome columns, (changed, nonfinite) per trial out of the
  /// 1000 samples (changed_correct is written as changed).
  std::function<std::pair<long, long>(int, int, int, int)> outcomes;
  /// With it: trials.csv has the nll and perplexity columns, nll(instance, config, ber_index,
  /// trial) written with %.17g ("inf" and "nan" as such).
  std::function<double(int, int, int, int)> nll;
  /// summary.json's "pairing" ("paired", "independent"); not written when empty.
  std::string pairing;

  void write(const std::string& dir) const {
    std::string t =
        "instance,checkpoint,format,protection,site,semantics,ber_index,ber,trial,stream,bits,"
        "faults,first_stage,errors,samples,error,evaluated" +
        std::string(outcomes ? ",changed,nonfinite,changed_correct" : "") +
        std::string(nll ? ",nll,perplexity" : "") + ",seconds\n";
    std::string s =
        "instance,checkpoint,model,dataset,format,protection,values,bits,float_error,"
        "baseline_error,ber_at_1pct,status_at_1pct\n";
    char buf[512];
    for (int i = 0; i < instances; ++i) {
      for (size_t c = 0; c < configs.size(); ++c) {
        std::snprintf(buf, sizeof buf,
                      "%d,\"ck,%d.ckpt\",%s,fashion-mnist,%s,%s,100,800,0.1,%.17g,1e-6,within\n", i,
                      i, model.c_str(), configs[c].format.c_str(), configs[c].protection.c_str(),
                      baseline(i, int(c)));
        s += buf;
        for (size_t b = 0; b < bers.size(); ++b) {
          for (int k = 0; k < trials; ++k) {
            long errors = std::lround(error(i, int(c), int(b), k) * 1000);
            std::snprintf(buf, sizeof buf,
                          "%d,\"ck,%d.ckpt\",%s,%s,weights,bernoulli,%zu,%.17g,%d,0000,800,1,0,%ld,"
                          "1000,%.17g,1",
                          i, i, configs[c].format.c_str(), configs[c].protection.c_str(), b,
                          bers[b], k, errors, double(errors) / 1000);
            t += buf;
            if (outcomes) {
              const auto [changed, nonfinite] = outcomes(i, int(c), int(b), k);
              t += "," + std::to_string(changed) + "," + std::to_string(nonfinite) + "," +
                   std::to_string(changed);
            }
            if (nll) {
              const double v = nll(i, int(c), int(b), k);
              std::snprintf(buf, sizeof buf, ",%.17g,%.17g", v, std::exp(v));
              t += buf;
            }
            t += ",0.001\n";
          }
        }
      }
    }
    write_text(dir + "/trials.csv", t);
    write_text(dir + "/summary.csv", s);
    if (json) {
      std::string targ;
      for (const auto& x : targets) targ += (targ.empty() ? "\"" : ", \"") + x + "\"";
      write_text(dir + "/summary.json",
                 "{\n  \"ares_version\": \"0.1.0\",\n  \"git_revision\": \"abc\",\n"
                 "  \"seed\": 7,\n" +
                     (pairing.empty() ? "" : "  \"pairing\": \"" + pairing + "\",\n") +
                     "  \"trials\": " + std::to_string(trials) + ",\n  \"targets\": [" + targ +
                     "],\n  \"levels_pct\": [0.5, 1, 5, 10],\n"
                     "  \"timing\": {\"seconds\": 1.5},\n  \"summaries\": []\n}\n");
    }
  }
};

}  // namespace ares::analysis::testing
