// A JupyterHub spawner, written into the hub's config file, that starts each user's server as a
// Docker container with the docker CLI (Debian ships no DockerSpawner). Like DockerSpawner it runs the
// image with the hub's environment, and either the spawner's command (`jupyterhub-singleuser` plus the
// hub's args, the default) or the image's own CMD (`useImageCmd`, as KubeSpawner does by default). The
// container uses the host network and binds 127.0.0.1:<random port>, so test traffic stays on
// loopback. Every container carries the test run's label and is removed when the server stops.

export interface UserImage {
  image: string;
  /** Run the image's CMD (no command given), as KubeSpawner does; default: `jupyterhub-singleuser`. */
  useImageCmd?: boolean;
}

export interface ContainerSpawnerOptions {
  /** The image (and command style) each user's server runs. */
  users: Record<string, UserImage>;
  /** Label value for `org.hubify.test-run`, so leftovers can be found and removed. */
  runId: string;
  /** Mount a fresh volume at this path (Zero-to-JupyterHub mounts the user's home at /home/jovyan). */
  homeMount?: string;
}

const python = (value: unknown): string => JSON.stringify(value);

export function containerSpawnerConfig(options: ContainerSpawnerOptions): string {
  return `
import asyncio, json
from jupyterhub.spawner import Spawner
from jupyterhub.utils import random_port
from traitlets import Unicode

USER_IMAGES = json.loads(${python(JSON.stringify(options.users))})

class HubifyContainerSpawner(Spawner):
    home_mount = Unicode(${python(options.homeMount ?? '')}, config=True)

    def _name(self):
        return 'hubify-test-' + ${python(options.runId)} + '-' + self.user.name + ('-' + self.name if self.name else '')

    async def _docker(self, *args):
        proc = await asyncio.create_subprocess_exec('docker', *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        return proc.returncode, out.decode().strip(), err.decode().strip()

    async def start(self):
        self.ip = '127.0.0.1'
        self.port = random_port()
        await self._docker('rm', '-f', self._name())
        env = self.get_env()
        # Bind where the hub will look, whatever this hub version derives from ip/port.
        env['JUPYTERHUB_SERVICE_URL'] = 'http://127.0.0.1:%d%s' % (self.port, self.server.base_url)
        args = ['run', '-d', '--name', self._name(), '--network', 'host',
                '--label', 'org.hubify.test-run=' + ${python(options.runId)}]
        for key, value in env.items():
            args += ['-e', key + '=' + str(value)]
        if self.home_mount:
            args += ['--mount', 'type=volume,dst=' + self.home_mount + ',volume-label=org.hubify.test-run=' + ${python(options.runId)}]
        choice = USER_IMAGES[self.user.name]
        args.append(choice['image'])
        if not choice.get('useImageCmd', False):
            args += list(self.cmd) + list(self.get_args())
        code, out, err = await self._docker(*args)
        if code != 0:
            raise RuntimeError('docker run failed: ' + err)
        self.container_id = out
        self.log.info('started container %s for %s', out[:12], self.user.name)
        return (self.ip, self.port)

    async def poll(self):
        code, out, _ = await self._docker('inspect', '-f', '{{.State.Running}}', self._name())
        if code != 0:
            return 0
        return None if out == 'true' else 1

    async def stop(self, now=False):
        await self._docker('stop', '-t', '0' if now else '10', self._name())
        code, logs, err = await self._docker('logs', '--tail', '200', self._name())
        self.log.info('container %s output:\\n%s\\n%s', self._name(), logs, err)
        await self._docker('rm', '-f', '-v', self._name())

c.JupyterHub.spawner_class = HubifyContainerSpawner
c.Spawner.cmd = ['jupyterhub-singleuser']
`;
}
