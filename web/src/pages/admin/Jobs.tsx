/**
 * Background jobs: how many jobs each queue holds in each state, and the failed ones (dead letter)
 * newest first. Admins send a failed job back to its queue after confirming; auditors only look.
 */
import { Alert, Badge, Button, Card, Table, Text, Title } from '@mantine/core';
import { modals } from '@mantine/modals';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { Empty, ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { notifySuccess } from '../../notify';
import { CONSOLE_PAGE_SIZE, notifyStaffError, Pager, useCursorStack, useStaffPowers } from './common';

const STATES = ['created', 'retry', 'active', 'completed', 'failed'] as const;

export function AdminJobsPage() {
  const powers = useStaffPowers();
  const queryClient = useQueryClient();
  const pages = useCursorStack();
  const jobs = useQuery({
    queryKey: ['admin-jobs', pages.cursor],
    queryFn: () => unwrap(api.GET('/api/v1/admin/jobs', { params: { query: { limit: CONSOLE_PAGE_SIZE, ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }) } } })),
    placeholderData: keepPreviousData,
  });
  const retry = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/admin/jobs/{id}/retry', { params: { path: { id } } })),
    onSuccess: async () => {
      notifySuccess('Job queued again', 'The job will run again shortly.');
      await queryClient.invalidateQueries({ queryKey: ['admin-jobs'] });
    },
    onError: notifyStaffError,
  });
  const confirmRetry = (id: string, queue: string) =>
    modals.openConfirmModal({
      title: 'Run this job again?',
      children: <Text size="sm">The failed {queue} job goes back to its queue and runs again with a fresh set of attempts.</Text>,
      labels: { confirm: 'Retry job', cancel: 'Cancel' },
      onConfirm: () => retry.mutate(id),
    });

  return (
    <>
      <PageTitle title="Jobs" description="Background work: e-mail, SMS, webhooks, notifications and housekeeping." />
      {jobs.isPending ? (
        <Loading label="Loading jobs…" />
      ) : jobs.isError ? (
        <ErrorBox error={jobs.error} />
      ) : (
        <>
          {!jobs.data.workers_running && (
            <Alert color="yellow" mb="md" title="No workers in this process">
              This server does not run job workers; another process (kosh worker) must.
            </Alert>
          )}
          <Card withBorder padding={0} mb="md">
            <Title order={4} p="md" pb={0}>
              Queues
            </Title>
            {jobs.data.queues.length === 0 ? (
              <Empty title="No queues yet" />
            ) : (
              <Table.ScrollContainer minWidth={560}>
                <Table aria-label="Job queues">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Queue</Table.Th>
                      {STATES.map((state) => (
                        <Table.Th key={state} ta="right">
                          {state === 'completed' ? 'Completed (1 h)' : state[0]!.toUpperCase() + state.slice(1)}
                        </Table.Th>
                      ))}
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {jobs.data.queues.map((queue) => (
                      <Table.Tr key={queue.name}>
                        <Table.Td ff="monospace">{queue.name}</Table.Td>
                        {STATES.map((state) => (
                          <Table.Td key={state} ta="right" c={state === 'failed' && queue.counts.failed > 0 ? 'red' : undefined}>
                            {queue.counts[state].toLocaleString('en-IN')}
                          </Table.Td>
                        ))}
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Card>
          <Card withBorder padding={0}>
            <Title order={4} p="md" pb={0}>
              Failed jobs
            </Title>
            {jobs.data.failures.length === 0 ? (
              <Empty title="No failed jobs">Every job so far has succeeded or is still trying.</Empty>
            ) : (
              <>
                <Table.ScrollContainer minWidth={640}>
                  <Table aria-label="Failed jobs">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Failed</Table.Th>
                        <Table.Th>Queue</Table.Th>
                        <Table.Th>Retries</Table.Th>
                        <Table.Th>Last error</Table.Th>
                        {powers.canWrite && <Table.Th />}
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {jobs.data.failures.map((job) => (
                        <Table.Tr key={job.id}>
                          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(job.failed_at)}</Table.Td>
                          <Table.Td>
                            <Badge variant="light">{job.queue}</Badge>
                          </Table.Td>
                          <Table.Td>{job.retry_count}</Table.Td>
                          <Table.Td>
                            <Text size="sm" lineClamp={3}>
                              {job.error ?? '—'}
                            </Text>
                          </Table.Td>
                          {powers.canWrite && (
                            <Table.Td ta="right">
                              <Button size="xs" variant="light" loading={retry.isPending && retry.variables === job.id} onClick={() => confirmRetry(job.id, job.queue)}>
                                Retry
                              </Button>
                            </Table.Td>
                          )}
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
                <Pager page={pages.page} nextCursor={jobs.data.next_cursor} onPrevious={pages.previous} onNext={() => pages.next(jobs.data.next_cursor)} />
              </>
            )}
          </Card>
        </>
      )}
    </>
  );
}
