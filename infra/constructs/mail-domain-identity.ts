/**
 * An SES domain identity with Easy DKIM: for the default sender domain (SES sends as it) and
 * for the inbound domain (SES receives only for verified domains). The DNS records to create
 * are exposed as text for the stack outputs, because nothing here owns the operator's DNS.
 */
import { Stack } from 'aws-cdk-lib';
import { EmailIdentity, Identity, MailFromBehaviorOnMxFailure, type IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface MailDomainIdentityProps {
  readonly domain: string;
  /**
   * Custom MAIL FROM subdomain (`bounce.<domain>`) so SPF aligns with the From domain for
   * DMARC; only useful for a domain that sends.
   */
  readonly customMailFrom?: boolean;
  /** The identity's default configuration set: its sends publish that set's events even when a caller names none. */
  readonly configurationSet?: IConfigurationSet;
}

export class MailDomainIdentity extends Construct {
  readonly identity: EmailIdentity;
  readonly domain: string;
  readonly mailFromDomain?: string;

  constructor(scope: Construct, id: string, props: MailDomainIdentityProps) {
    super(scope, id);
    this.domain = props.domain;
    this.mailFromDomain = props.customMailFrom ? `bounce.${props.domain}` : undefined;
    this.identity = new EmailIdentity(this, 'Identity', {
      identity: Identity.domain(props.domain),
      dkimSigning: true,
      mailFromDomain: this.mailFromDomain,
      mailFromBehaviorOnMxFailure: this.mailFromDomain ? MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE : undefined,
      configurationSet: props.configurationSet,
    });
  }

  /** The three Easy DKIM CNAME records, as `name CNAME value` lines. */
  dkimRecords(): string[] {
    return [
      [this.identity.dkimDnsTokenName1, this.identity.dkimDnsTokenValue1],
      [this.identity.dkimDnsTokenName2, this.identity.dkimDnsTokenValue2],
      [this.identity.dkimDnsTokenName3, this.identity.dkimDnsTokenValue3],
    ].map(([name, value]) => `${name} CNAME ${value}`);
  }

  /** MX and SPF records of the custom MAIL FROM domain, if any. */
  mailFromRecords(): string[] {
    if (this.mailFromDomain === undefined) return [];
    const region = Stack.of(this).region;
    return [
      `${this.mailFromDomain} MX 10 feedback-smtp.${region}.amazonses.com`,
      `${this.mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
    ];
  }
}
