// Start-up timed in rounds: each round runs every command once, in an order
// that rotates from round to round, so that all of them see the same moments
// of a noisy machine (hyperfine runs each command in a block of its own, and
// this virtual machine drifts by 10-20% between blocks). Times are wall
// clock from just before posix_spawn to waitpid's return, with no shell in
// between, like hyperfine -N.
//
//   interleave OUT.json ROUNDS WARMUP NAME CMD [ARGS...] ::: NAME CMD [ARGS...] ::: ...
//
// OUT.json is in hyperfine's --export-json shape (report.py reads it), with
// each round's ratio of every command to the first one added as
// "round_ratios" (their median is the paired estimate bench/RESULTS.md uses).
// Every run must exit 0, or the numbers would time a failure: it stops then.
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

enum { kMaxCommands = 8 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_once(char** argv) {
  pid_t pid;
  const double start = now();
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
    perror(argv[0]);
    exit(2);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "interleave: '%s' failed (status %d)\n", argv[0], status);
    exit(2);
  }
  return now() - start;
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(const double* v, int n) {
  double* s = malloc(sizeof(double) * (size_t)n);
  memcpy(s, v, sizeof(double) * (size_t)n);
  qsort(s, (size_t)n, sizeof(double), by_value);
  const double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free(s);
  return m;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr,
            "usage: interleave OUT.json ROUNDS WARMUP NAME CMD [ARGS...] [::: NAME CMD ...]\n");
    return 2;
  }
  const char* out_path = argv[1];
  const int rounds = atoi(argv[2]), warmup = atoi(argv[3]);
  const char* names[kMaxCommands];
  char** cmds[kMaxCommands];
  int n = 0;
  for (int i = 4; i < argc && n < kMaxCommands;) {
    names[n] = argv[i++];
    cmds[n++] = &argv[i];
    while (i < argc && strcmp(argv[i], ":::") != 0) ++i;
    if (i < argc) argv[i++] = NULL;  // ends this command's argv
  }
  if (rounds < 1 || n < 1) return 2;
  double* t = calloc((size_t)(rounds * n), sizeof(double));
  for (int r = -warmup; r < rounds; ++r) {
    for (int k = 0; k < n; ++k) {
      const int c = (k + (r < 0 ? 0 : r)) % n;  // rotate who goes first
      const double d = run_once(cmds[c]);
      if (r >= 0) t[r * n + c] = d;
    }
  }
  FILE* f = fopen(out_path, "w");
  if (f == NULL) {
    perror(out_path);
    return 2;
  }
  fprintf(f, "{\"results\": [\n");
  double* col = malloc(sizeof(double) * (size_t)rounds);
  for (int c = 0; c < n; ++c) {
    double sum = 0, sq = 0, lo = 1e9, hi = 0;
    for (int r = 0; r < rounds; ++r) {
      const double d = t[r * n + c];
      col[r] = d;
      sum += d;
      sq += d * d;
      lo = d < lo ? d : lo;
      hi = d > hi ? d : hi;
    }
    const double mean = sum / rounds;
    const double var = rounds > 1 ? (sq - rounds * mean * mean) / (rounds - 1) : 0;
    fprintf(f,
            "  {\"command\": \"%s\", \"mean\": %.9f, \"stddev\": %.9f, \"median\": %.9f, "
            "\"min\": %.9f, \"max\": %.9f,\n   \"times\": [",
            names[c], mean, var > 0 ? sqrt(var) : 0.0, median(col, rounds), lo, hi);
    for (int r = 0; r < rounds; ++r) fprintf(f, "%s%.9f", r ? ", " : "", t[r * n + c]);
    fprintf(f, "],\n   \"round_ratios\": [");
    for (int r = 0; r < rounds; ++r) {
      col[r] = t[r * n + c] / t[r * n];
      fprintf(f, "%s%.6f", r ? ", " : "", col[r]);
    }
    fprintf(f, "], \"median_round_ratio\": %.6f}%s\n", median(col, rounds), c + 1 < n ? "," : "");
  }
  fprintf(f, "]}\n");
  fclose(f);
  free(col);
  free(t);
  return 0;
}
