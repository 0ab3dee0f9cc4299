/* test_qmp.c - the QMP client against a fake QMP server in a child
 * process: a real exchange with events in between, and every way a QEMU
 * can fail it: garbage, silence (a time limit, not a hang), a socket
 * closed mid-reply, an error reply, no greeting at all; a late reply to an
 * earlier command is never read as the next one's answer; MIGRATION
 * events end a migration's wait. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"
#include "testtree.h"

enum script { GOOD, GARBAGE, SILENT, HANGUP, ERROR_REPLY, NO_GREETING, LATE, MIGRATION };

static const char greeting[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n";

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(3);
}

/* Read one line of the client's: the id it carries, or -1. */
static long hear(int fd)
{
	char line[4096], c;
	size_t n = 0;
	while (read(fd, &c, 1) == 1 && c != '\n')
		if (n + 1 < sizeof line)
			line[n++] = c;
	line[n] = '\0';
	const char *id = strstr(line, "\"id\":");
	return id ? strtol(id + 5, NULL, 10) : -1;
}

/* A reply to request id: {"return": RET, "id": id}. */
static void answer(int fd, long id, const char *ret)
{
	char buf[512];
	snprintf(buf, sizeof buf, "{\"return\": %s, \"id\": %ld}\r\n", ret, id);
	say(fd, buf);
}

static void serve(int fd, enum script s)
{
	if (s == NO_GREETING) {
		say(fd, "{\"hello\": 1}\r\n");
		hear(fd);
		return;
	}
	say(fd, greeting);
	long caps = hear(fd); /* qmp_capabilities */
	answer(fd, caps, "{}");
	long id = hear(fd); /* the command */
	switch (s) {
	case GOOD:
		say(fd, "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n");
		answer(fd, id, "{\"status\": \"running\", \"running\": true}");
		break;
	case LATE: /* too slow for the first command; then the second comes */
		usleep(400 * 1000);
		answer(fd, id, "{\"status\": \"stale\"}");
		id = hear(fd);
		answer(fd, id, "{\"status\": \"fresh\"}");
		break;
	case MIGRATION:
		answer(fd, id, "{}");
		say(fd, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"setup\"}}\r\n");
		say(fd, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}}\r\n");
		usleep(100 * 1000);
		say(fd, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"completed\"}}\r\n");
		sleep(5);
		break;
	case GARBAGE:
		say(fd, "this is no JSON\r\n");
		break;
	case SILENT:
		sleep(5);
		break;
	case HANGUP:
		say(fd, "{\"return\": {\"sta");
		break;
	case ERROR_REPLY:
		say(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no such thing\"}}\r\n");
		break;
	default:
		break;
	}
}

struct server {
	pid_t pid;
	char path[4200];
	char *dir;
};

static void start(struct server *sv, enum script s)
{
	sv->dir = tt_scratch("qmp");
	snprintf(sv->path, sizeof sv->path, "%s/qmp.sock", sv->dir);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(sv->path) < sizeof sa.sun_path);
	memcpy(sa.sun_path, sv->path, strlen(sv->path) + 1);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 1), 0);
	sv->pid = fork();
	assert_true(sv->pid >= 0);
	if (sv->pid == 0) {
		int c = accept(l, NULL, NULL);
		if (c >= 0)
			serve(c, s);
		_exit(0);
	}
	close(l);
}

static void stop(struct server *sv)
{
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, NULL, 0);
	tt_rm_rf(sv->dir);
	free(sv->dir);
}

static int run(enum script s, int timeout_ms, json_t **ret, struct qmp *q)
{
	struct server sv;
	start(&sv, s);
	int r = qmp_connect(q, sv.path, timeout_ms);
	if (r == 0)
		r = qmp_execute(q, "query-status", NULL, timeout_ms, ret);
	qmp_close(q);
	stop(&sv);
	return r;
}

static void test_good_exchange_skips_events(void **state)
{
	(void)state;
	struct qmp q;
	json_t *ret = NULL;
	assert_int_equal(run(GOOD, 2000, &ret, &q), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "status")), "running");
	assert_int_equal(q.events, 1);
	json_decref(ret);
}

static void test_garbage_is_a_protocol_error(void **state)
{
	(void)state;
	struct qmp q;
	assert_int_equal(run(GARBAGE, 2000, NULL, &q), -EPROTO);
	assert_non_null(strstr(q.err, "this is no JSON"));
}

static void test_silence_times_out(void **state)
{
	(void)state;
	struct qmp q;
	time_t t0 = time(NULL);
	assert_int_equal(run(SILENT, 300, NULL, &q), -ETIMEDOUT);
	assert_true(time(NULL) - t0 < 3); /* the limit, not the server's 5 s */
}

static void test_hangup_mid_reply(void **state)
{
	(void)state;
	struct qmp q;
	assert_int_equal(run(HANGUP, 2000, NULL, &q), -ECONNRESET);
	assert_non_null(strstr(q.err, "closed"));
}

static void test_error_reply_names_class_and_desc(void **state)
{
	(void)state;
	struct qmp q;
	assert_int_equal(run(ERROR_REPLY, 2000, NULL, &q), -EIO);
	assert_non_null(strstr(q.err, "query-status: GenericError: no such thing"));
}

static void test_no_greeting_is_no_qmp(void **state)
{
	(void)state;
	struct qmp q;
	assert_int_equal(run(NO_GREETING, 2000, NULL, &q), -EPROTO);
}

static void test_no_server_times_out(void **state)
{
	(void)state;
	struct qmp q;
	assert_int_equal(qmp_connect(&q, "/nonexistent/qmp.sock", 200), -ETIMEDOUT);
	assert_non_null(strstr(q.err, "cannot connect"));
	assert_int_equal(qmp_execute(&q, "quit", NULL, 100, NULL), -ENOTCONN);
}

/* The first command times out; its reply arrives during the second's
 * wait and must be skipped (the ids differ). */
static void test_late_reply_is_not_the_next_answer(void **state)
{
	(void)state;
	struct server sv;
	struct qmp q;
	json_t *ret = NULL;
	start(&sv, LATE);
	assert_int_equal(qmp_connect(&q, sv.path, 2000), 0);
	assert_int_equal(qmp_execute(&q, "query-status", NULL, 100, NULL), -ETIMEDOUT);
	assert_non_null(strstr(q.err, "query-status"));
	assert_non_null(strstr(q.err, "100 ms"));
	assert_int_equal(qmp_execute(&q, "query-status", NULL, 3000, &ret), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "status")), "fresh");
	json_decref(ret);
	qmp_close(&q);
	stop(&sv);
}

static void test_migration_events_end_the_wait(void **state)
{
	(void)state;
	struct server sv;
	struct qmp q;
	start(&sv, MIGRATION);
	assert_int_equal(qmp_connect(&q, sv.path, 2000), 0);
	assert_int_equal(qmp_execute(&q, "migrate", NULL, 2000, NULL), 0);
	time_t t0 = time(NULL);
	assert_int_equal(qmp_wait_migration(&q, 3000), 0);
	assert_true(time(NULL) - t0 < 2); /* the event, not the server's 5 s */
	assert_string_equal(q.migration, "completed");
	assert_int_equal(q.events, 3);
	qmp_close(&q);
	stop(&sv);
}

/* No event in time: the limit, with the last status seen. */
static void test_migration_without_end_times_out(void **state)
{
	(void)state;
	struct server sv;
	struct qmp q;
	start(&sv, SILENT);
	assert_int_equal(qmp_connect(&q, sv.path, 2000), 0);
	assert_int_equal(qmp_wait_migration(&q, 200), -ETIMEDOUT);
	assert_non_null(strstr(q.err, "200 ms"));
	qmp_close(&q);
	stop(&sv);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_exchange_skips_events),
		cmocka_unit_test(test_garbage_is_a_protocol_error),
		cmocka_unit_test(test_silence_times_out),
		cmocka_unit_test(test_hangup_mid_reply),
		cmocka_unit_test(test_error_reply_names_class_and_desc),
		cmocka_unit_test(test_no_greeting_is_no_qmp),
		cmocka_unit_test(test_no_server_times_out),
		cmocka_unit_test(test_late_reply_is_not_the_next_answer),
		cmocka_unit_test(test_migration_events_end_the_wait),
		cmocka_unit_test(test_migration_without_end_times_out),
	};
	return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
