/*
 * The one system call Node cannot make: setns(2). It moves the *calling thread* into another
 * network namespace; sockets created afterwards (rtnetlink, /proc/sys opens, forked children)
 * belong to that namespace for their whole life. Built on first use by src/native-netns.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

static napi_value js_setns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EINVAL", "setns: expected a file descriptor");
    return NULL;
  }
  if (setns(fd, CLONE_NEWNET) != 0) {
    char message[128];
    snprintf(message, sizeof message, "setns: %s", strerror(errno));
    napi_throw_error(env, "ESETNS", message);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "setns", NAPI_AUTO_LENGTH, js_setns, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "setns", fn) != napi_ok) return NULL;
  return exports;
}
