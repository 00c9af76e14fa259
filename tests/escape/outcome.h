/* The outcome of one probe step, shared by probe.c (filesystem, process,
 * terminal) and kprobe.c (kernel surface): "OK", an errno name, or
 * something the step observed. The setters return 0 so that a step can end
 * with `return set_errno(...)`. */
#ifndef CORDON_TESTS_ESCAPE_OUTCOME_H
#define CORDON_TESTS_ESCAPE_OUTCOME_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char text[4096];
} Outcome;

static inline int set_text(Outcome* out, const char* text) {
  snprintf(out->text, sizeof out->text, "%s", text);
  return 0;
}

static inline int set_errno(Outcome* out, int err) {
  const char* name = strerrorname_np(err);
  if (name != NULL) return set_text(out, name);
  snprintf(out->text, sizeof out->text, "ERRNO_%d", err);
  return 0;
}

/* For system calls that return -1 and set errno. */
static inline int set_result(Outcome* out, long rc) {
  return rc < 0 ? set_errno(out, errno) : set_text(out, "OK");
}

#endif
