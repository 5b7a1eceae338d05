export type * from './model';
export { ExchangeRecorder } from './recorder';
export { EXCHANGE_FORMAT, EXCHANGE_VERSION, exchangeSchema, parseExchange, serializeExchange } from './serialize';
