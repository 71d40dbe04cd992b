import type { Server } from 'node:http';
import { ApolloError, ErrorCode } from '../errors.js';

/**
 * Starts listening; resolves with the port. A port already taken is the operator's to fix, so it
 * becomes one line naming the variable to change instead of Node's EADDRINUSE stack.
 */
export async function listen(server: Server, port: number, options: { host?: string; variable: string }): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new ApolloError(ErrorCode.PortInUse, `port ${port} is already in use (another apollo, or another program, listens there): stop it or set ${options.variable} to a free port`));
      } else if (err.code === 'EACCES') {
        reject(new ApolloError(ErrorCode.PortInUse, `port ${port} needs privileges this user does not have: set ${options.variable} to a port above 1023`));
      } else reject(err);
    };
    server.once('error', onError);
    const listening = () => {
      server.off('error', onError);
      resolve();
    };
    if (options.host) server.listen(port, options.host, listening);
    else server.listen(port, listening);
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}
