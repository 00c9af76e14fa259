// Combining layers into the effective policy. The rules are the security
// model of the policy files, so each lives in its own small step.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "policy/load.h"
#include "policy/network.h"
#include "policy/pattern.h"
#include "policy/schema.h"

namespace cordon::policy {
namespace {

// Stand-ins for home and workspace when merge() is not told them. Patterns
// cannot contain control bytes, so no real pattern can expand to these.
constexpr std::string_view kUnknownHome = "/\x01home";
constexpr std::string_view kUnknownWorkspace = "/\x01workspace";

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

// Whether a layer's one-value setting replaces the built-in default's. The
// built-in default is only a default: the user, the command line, the
// managed file and a trusted project may replace it, looser or tighter; an
// untrusted project may only tighten it.
bool replaces_default(const Origin& origin, bool trust_project) {
  return origin.layer != Layer::BuiltIn && (origin.layer != Layer::Project || trust_project);
}

// Step 3: one value per one-value field, the tightest set by any layer: the
// smallest timeout or limit, the strictest word (full > auto > landlock,
// kill > errno, deny > allow). So a managed value is a ceiling that nothing
// below it loosens, and a project can always tighten. Every value not
// applied is recorded, with what applies instead.
template <typename T, typename Tighter, typename Text>
void pick_tightest(const Field& f, const std::vector<const Entry<T>*>& all, bool trust_project,
                   Tighter tighter, Text text, std::optional<Entry<T>>& into, Policy& out) {
  const Entry<T>* replacer = nullptr;  // the first setting that replaces the built-in one
  for (const Entry<T>* e : all) {
    if (replacer == nullptr && replaces_default(e->origin, trust_project)) replacer = e;
  }
  // The first tightest, so that of two equal values the lower layer is cited.
  const Entry<T>* best = nullptr;
  for (const Entry<T>* e : all) {
    if (replacer != nullptr && e->origin.layer == Layer::BuiltIn) continue;
    if (best == nullptr || tighter(e->value, best->value)) best = e;
  }
  if (best == nullptr) return;
  into = *best;
  const std::string applies = origin_text(best->origin);
  for (const Entry<T>* e : all) {
    if (e == best) continue;
    std::string reason;
    if (replacer != nullptr && e->origin.layer == Layer::BuiltIn) {
      reason = fmt::format("built-in default overridden ({})", origin_text(replacer->origin));
    } else if (e->value == best->value) {
      reason = fmt::format("the same value applies ({})", applies);
    } else {
      std::string_view what = f.kind == FieldKind::Duration ? "a shorter timeout"
                              : f.kind == FieldKind::Choice ? "a stricter setting"
                                                            : "a smaller limit";
      reason = fmt::format("{} applies ({})", what, applies);
      // Trusted, the project would have replaced the built-in value.
      if (e->origin.layer == Layer::Project && best->origin.layer == Layer::BuiltIn) {
        reason = "project not trusted: it may only tighten; " + reason;
      }
    }
    out.ignored.push_back({f.name(), text(e->value), e->origin, std::move(reason)});
  }
}

void pick_values(const std::vector<Policy>& layers, bool trust_project, Policy& out) {
  for (const Field& f : fields()) {
    if (f.is_number()) {
      std::vector<const Entry<double>*> all;
      for (const Policy& layer : layers) {
        if (const auto& v = *number_value(layer, f.id)) all.push_back(&*v);
      }
      pick_tightest(
          f, all, trust_project, [](double a, double b) { return a < b; },
          [&](double v) { return number_text(f, v); }, *number_value(out, f.id), out);
    } else if (f.kind == FieldKind::Choice) {
      std::vector<const Entry<std::string>*> all;
      for (const Policy& layer : layers) {
        if (const auto& v = *choice_value(layer, f.id)) all.push_back(&*v);
      }
      pick_tightest(
          f, all, trust_project,
          [&](const std::string& a, const std::string& b) {
            return choice_rank(f, a) > choice_rank(f, b);
          },
          [](const std::string& v) { return v; }, *choice_value(out, f.id), out);
    }
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
    out.notes.insert(out.notes.end(), layer.notes.begin(), layer.notes.end());
  }
  collect_lists(layers_in_order, trust_project, out);
  merge_network_tables(layers_in_order, trust_project, out);
  protect_managed(out, home, workspace);
  pick_values(layers_in_order, trust_project, out);
  for (const Field& f : fields()) {
    if (PatternList* list = pattern_list(out, f.id)) dedupe(*list);
  }
  return out;
}

}  // namespace cordon::policy
