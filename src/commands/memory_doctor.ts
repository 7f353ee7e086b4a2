/**
 * MEMORY DOCTOR: Redis's getMemoryDoctorReport, its checks and its words,
 * on the figures of INFO memory. One difference: "empty" means less than
 * 5 MB above the start-up memory (Redis: 5 MB in all), since V8's heap
 * alone is larger than that. V8's RSS is large next to its heap, so the
 * RSS checks often speak; that is the truth about the process.
 */
import type { Server } from "../server.ts";
import { floatRatio as ratio, memoryFields } from "./info.ts";

const MB = 1024 * 1024;

const EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const HEALTHY =
  "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

/** The report's paragraphs, in Redis's order. */
const ISSUES = {
  bigPeak:
    " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n",
  highFrag: (allocator: string) =>
    ` * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "${allocator}".\n\n`,
  highAllocFrag:
    " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n",
  highAllocRss:
    " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n",
  highProcRss:
    " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n",
  bigReplicaBuf:
    " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n",
  bigClientBuf:
    " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n",
};

/** The report for `server` now. */
export function memoryDoctorReport(server: Server): string {
  const info = memoryFields(server);
  const n = (field: string) => Number(info.get(field) ?? 0);
  const used = n("used_memory");
  if (used - n("used_memory_startup") < 5 * MB) return EMPTY;
  const rss = n("used_memory_rss");
  const allocated = n("allocator_allocated");
  const active = n("allocator_active");
  const resident = n("allocator_resident");
  let replicas = 0;
  for (const client of server.clients.values()) if (client.flags.replica) replicas++;
  const normalClients = server.clients.size - replicas;
  const found: string[] = [];
  if (ratio(n("used_memory_peak"), used) > 1.5) found.push(ISSUES.bigPeak);
  if (ratio(rss, used) > 1.4 && rss - used > 10 * MB) {
    found.push(ISSUES.highFrag(String(info.get("mem_allocator"))));
  }
  if (ratio(active, allocated) > 1.1 && active - allocated > 10 * MB) {
    found.push(ISSUES.highAllocFrag);
  }
  if (ratio(resident, active) > 1.1 && resident - active > 10 * MB) {
    found.push(ISSUES.highAllocRss);
  }
  if (ratio(rss, resident) > 1.1 && rss - resident > 10 * MB) found.push(ISSUES.highProcRss);
  if (replicas > 0 && n("mem_clients_slaves") / replicas > 10 * MB) {
    found.push(ISSUES.bigReplicaBuf);
  }
  if (normalClients > 0 && n("mem_clients_normal") / normalClients > 200 * 1024) {
    found.push(ISSUES.bigClientBuf);
  }
  if (found.length === 0) return HEALTHY;
  return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
    found.join("") + "I'm here to keep you safe, Sam. I want to help you.\n";
}
