// Combining layers into the effective policy. The rules are the security
// model of the policy files, so each lives in its own small step.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "policy/load.h"
#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

// Stand-ins for home and workspace when merge() is not told them. Patterns
// cannot contain control bytes, so no real pattern can expand to these.
constexpr std::string_view kUnknownHome = "/\x01home";
constexpr std::string_view kUnknownWorkspace = "/\x01workspace";

std::string value_text(double seconds) { return fmt::format("{}", seconds); }

void ignore(Policy& out, const Field& f, const Entry<std::string>& e, std::string reason) {
  out.ignored.push_back({f.name(), e.value, e.origin, std::move(reason)});
}

// Step 1: every list is the union of the layers, minus what a layer may not
// grant: an untrusted project cannot loosen, and only the user vouches for projects.
void collect_lists(const std::vector<Policy>& layers, bool trust_project, Policy& out) {
  for (const Field& f : fields()) {
    PatternList* into = pattern_list(out, f.id);
    if (into == nullptr) continue;
    for (const Policy& layer : layers) {
      for (const auto& e : *pattern_list(layer, f.id)) {
        if (f.id == FieldId::TrustProjects && e.origin.layer != Layer::User) {
          ignore(out, f, e, "[trust] is honoured only in the user file and --policy files");
        } else if (f.loosens && e.origin.layer == Layer::Project && !trust_project) {
          ignore(out, f, e, "project not trusted");
        } else {
          into->push_back(e);
        }
      }
    }
  }
}

// Step 2: nothing below the managed file re-opens what it closes. An allow
// deeper than a deny re-allows inside it (that is how the user file opens
// ~/.ssh/known_hosts under the built-in ~/.ssh deny), so allows that could
// lie within a managed deny are dropped here, before anything sees them.
void protect_managed(Policy& out, std::string_view home, std::string_view workspace) {
  auto abs = [&](const std::string& p) { return absolute_pattern(p, home, workspace); };
  auto managed_deny = [&](const Entry<std::string>& allow,
                          const PatternList& denies) -> const Entry<std::string>* {
    for (const auto& d : denies) {
      if (d.origin.layer == Layer::Managed && may_lie_within(abs(allow.value), abs(d.value))) {
        return &d;
      }
    }
    return nullptr;
  };
  auto filter = [&](FieldId id, std::initializer_list<const PatternList*> denies) {
    PatternList* list = pattern_list(out, id);
    PatternList kept;
    for (auto& e : *list) {
      const Entry<std::string>* hit = nullptr;
      if (e.origin.layer != Layer::Managed) {
        for (const PatternList* d : denies) {
          if (hit == nullptr) hit = managed_deny(e, *d);
        }
      }
      if (hit != nullptr) {
        ignore(
            out, field(id), e,
            fmt::format("the managed policy denies {} ({})", hit->value, origin_text(hit->origin)));
      } else {
        kept.push_back(std::move(e));
      }
    }
    *list = std::move(kept);
  };
  const Filesystem& fs = out.filesystem;
  filter(FieldId::AllowRead, {&fs.deny_read});
  // A writable path is a visible one: it must stay out of managed read denials too.
  filter(FieldId::AllowWrite, {&fs.deny_read, &fs.deny_write});

  // env_pass against a managed scrub: drop a pass the scrub matches as
  // written. scrub_environment() settles the remaining glob-against-glob
  // cases exactly, per variable, by layer.
  PatternList kept;
  for (auto& e : out.process.env_pass) {
    const Entry<std::string>* hit = nullptr;
    if (e.origin.layer != Layer::Managed) {
      for (const auto& s : out.process.env_scrub) {
        if (s.origin.layer == Layer::Managed && glob_match(s.value, e.value, true)) {
          hit = &s;
          break;
        }
      }
    }
    if (hit != nullptr) {
      ignore(
          out, field(FieldId::EnvPass), e,
          fmt::format("the managed policy scrubs {} ({})", hit->value, origin_text(hit->origin)));
    } else {
      kept.push_back(std::move(e));
    }
  }
  out.process.env_pass = std::move(kept);
}

// Step 3: the tightest timeout wins; a managed one therefore caps all others.
void pick_timeout(const std::vector<Policy>& layers, Policy& out) {
  std::vector<const Entry<double>*> all;
  for (const Policy& layer : layers) {
    if (layer.process.timeout_seconds) all.push_back(&*layer.process.timeout_seconds);
  }
  if (all.empty()) return;
  // The first smallest, so that of two equal values the lower layer is cited.
  auto best = *std::min_element(all.begin(), all.end(),
                                [](auto* a, auto* b) { return a->value < b->value; });
  out.process.timeout_seconds = *best;
  for (const auto* t : all) {
    if (t == best) continue;
    out.ignored.push_back(
        {field(FieldId::Timeout).name(), value_text(t->value), t->origin,
         fmt::format("a shorter timeout applies ({})", origin_text(best->origin))});
  }
}

// Step 4: one entry per pattern. The highest layer's origin is kept, so that
// scrub_environment() and `policy show` see a managed entry as managed.
void dedupe(PatternList& list) {
  PatternList out;
  out.reserve(list.size());  // no reallocation: `seen` holds views into out's strings
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(list.size());
  for (auto& e : list) {
    auto same = seen.find(e.value);
    if (same == seen.end()) {
      out.push_back(std::move(e));
      seen.emplace(out.back().value, out.size() - 1);
    } else if (e.origin.layer > out[same->second].origin.layer) {
      out[same->second].origin = std::move(e.origin);
    }
  }
  list = std::move(out);
}

}  // namespace

Policy merge(const std::vector<Policy>& layers_in_order, bool trust_project) {
  return merge(layers_in_order, trust_project, kUnknownHome, kUnknownWorkspace);
}

Policy merge(const std::vector<Policy>& layers_in_order, bool trust_project, std::string_view home,
             std::string_view workspace) {
  Policy out;
  out.project_trusted = trust_project;
  for (const Policy& layer : layers_in_order) {
    out.sources.insert(out.sources.end(), layer.sources.begin(), layer.sources.end());
    out.ignored.insert(out.ignored.end(), layer.ignored.begin(), layer.ignored.end());
  }
  collect_lists(layers_in_order, trust_project, out);
  protect_managed(out, home, workspace);
  pick_timeout(layers_in_order, out);
  for (const Field& f : fields()) {
    if (PatternList* list = pattern_list(out, f.id)) dedupe(*list);
  }
  return out;
}

}  // namespace cordon::policy
