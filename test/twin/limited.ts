/** Run the tasks at most `width` at a time (the machine is shared); results in task order. */
export async function limited<T>(tasks: (() => Promise<T>)[], width = 3): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}
